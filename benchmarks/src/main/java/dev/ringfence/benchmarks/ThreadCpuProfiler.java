package dev.ringfence.benchmarks;

import dev.ringfence.limiter.SandboxThread;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * CPU time of JMH's worker threads per operation, as a secondary result named {@value #LABEL}.
 * On a shared machine a benchmark thread that is descheduled keeps accruing wall-clock time but
 * not CPU time, so this figure is far less disturbed by other builds than the primary score.
 * Counts the {@link SandboxThread}s of {@link SandboxThreadPool}, so it needs that executor.
 * Enable with {@code -prof dev.ringfence.benchmarks.ThreadCpuProfiler}.
 */
public final class ThreadCpuProfiler implements InternalProfiler {
    /** The name of the secondary result. */
    static final String LABEL = "cpu";

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private Map<Long, Long> before = Map.of();

    @Override
    public String getDescription() {
        return "CPU time of the benchmark's sandbox worker threads per operation";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        before = workerCpu();
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
            IterationResult result) {
        long nanos = 0;
        for (Map.Entry<Long, Long> e : workerCpu().entrySet()) {
            nanos += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        long ops = result.getMetadata().getAllOps();
        double perOp = ops == 0 ? Double.NaN : (double) nanos / ops / 1_000;
        return List.of(new ScalarResult(LABEL, perOp, "us/op", AggregationPolicy.AVG));
    }

    private Map<Long, Long> workerCpu() {
        Map<Long, Long> cpu = new HashMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t instanceof SandboxThread) {
                long c = threads.getThreadCpuTime(t.getId());
                if (c >= 0) {
                    cpu.put(t.getId(), c);
                }
            }
        }
        return cpu;
    }
}
