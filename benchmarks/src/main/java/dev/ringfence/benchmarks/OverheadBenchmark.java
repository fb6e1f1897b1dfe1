package dev.ringfence.benchmarks;

import bench.kernels.Loops;
import bench.kernels.Maps;
import bench.kernels.Matrix;
import bench.kernels.Recursion;
import bench.kernels.SmallObjects;
import dev.ringfence.limiter.Meter;
import dev.ringfence.limiter.Policy;
import dev.ringfence.limiter.SandboxThread;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What instrumentation costs compute-bound handler code: each kernel plain, and instrumented on a
 * {@link SandboxThread} under a real meter with CPU, allocation and wall-clock budgets on (so the
 * slow path reads the thread's CPU time and allocated bytes, as in production) but never tripping.
 *
 * <p>{@code main} runs it and prints the median time of each variant, the ratio per kernel and
 * the geometric mean of the ratios: the figure the issue bounds at 1.10x.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {SandboxThreadPool.EXECUTOR, SandboxThreadPool.EXECUTOR_CLASS})
public class OverheadBenchmark {
    private static final String[] KERNELS = {"loops", "matrix", "maps", "recursion", "objects"};

    /**
     * The cost of the harness itself.
     *
     * @return a constant
     */
    @Benchmark
    public long baseline() {
        return 42;
    }

    /**
     * One run of the kernel.
     *
     * @param subject the kernel and its meter
     * @return the kernel's result
     */
    @Benchmark
    public long kernel(Subject subject) {
        return subject.work.getAsLong();
    }

    /** A kernel, plain or instrumented, and the meter of the thread that runs it. */
    @State(Scope.Thread)
    public static class Subject {
        /** Which kernel. */
        @Param({"loops", "matrix", "maps", "recursion", "objects"})
        public String kernel;

        /**
         * {@code plain}; {@code guarded}, the probes of routes without a fuel budget
         * ({@link dev.ringfence.limiter.Metering#GUARD}); or {@code counting}, those of routes
         * with one ({@link dev.ringfence.limiter.Metering#COUNT}).
         */
        @Param({"plain", "guarded", "counting"})
        public String mode;

        LongSupplier work;
        private Meter meter;

        /** Loads the kernel and, for instrumented runs, attaches a meter to this worker thread. */
        @Setup(Level.Trial)
        public void attach() {
            KernelLoader loader = KernelLoader.forMode(mode);
            work = loader.create(kernelClass(kernel));
            if (loader.isInstrumented()) {
                meter = Meter.attachToCurrentThread(NeverTrip.cpuAllocWall(), Policy.DENY_ALL);
            }
        }

        /** Fails the run if JMH moved this state to a thread that does not carry its meter. */
        @Setup(Level.Iteration)
        public void checkThread() {
            if (meter != null && SandboxThread.currentMeter() != meter) {
                throw new IllegalStateException("the meter is not on this worker thread: " + Thread.currentThread());
            }
        }

        /**
         * Shows that the instrumented kernel really is under the meter: trips it, and expects the
         * kernel to throw the abort within a few runs. Then detaches the meter.
         */
        @TearDown(Level.Trial)
        public void detach() {
            if (meter == null) {
                return;
            }
            long fuel = meter.fuelUsed();
            boolean trippedEarly = meter.tripped();
            meter.trip(dev.ringfence.api.Outcome.TIMEOUT, "benchmark over: the kernel must stop");
            int runs = 0;
            boolean stopped = false;
            for (; runs < 100_000 && !stopped; runs++) {
                try {
                    work.getAsLong();
                } catch (dev.ringfence.limiter.BudgetAbort expected) {
                    stopped = true;
                }
            }
            meter.detach();
            System.out.printf(Locale.ROOT, "%n[ringfence] %s %s: %,d ticks charged; stopped %s run(s) after a trip%n",
                    kernel, mode, fuel, stopped ? Integer.toString(runs) : "in no");
            if (trippedEarly || !stopped) {
                throw new IllegalStateException("the meter tripped during the benchmark, or the kernel did not stop after a trip");
            }
        }
    }

    static Class<? extends LongSupplier> kernelClass(String name) {
        switch (name) {
            case "loops":
                return Loops.class;
            case "matrix":
                return Matrix.class;
            case "maps":
                return Maps.class;
            case "recursion":
                return Recursion.class;
            case "objects":
                return SmallObjects.class;
            default:
                throw new IllegalArgumentException("no kernel " + name);
        }
    }

    /**
     * Runs the benchmark and prints the overhead table.
     *
     * @param args JMH options, e.g. {@code -f 1 -wi 3 -w 1s -i 5 -r 1s}
     * @throws Exception when JMH fails
     */
    public static void main(String[] args) throws Exception {
        Scores s = Scores.run(OverheadBenchmark.class, args);
        StringBuilder out = new StringBuilder();
        for (String mode : new String[] {"guarded", "counting"}) {
            table(s, mode, out);
        }
        System.out.println(out);
    }

    private static void table(Scores s, String mode, StringBuilder out) {
        boolean cpu = s.hasCpu();
        out.append(String.format(Locale.ROOT, "%n%s probes:%n%n| kernel | plain, wall | %s, wall | ratio, wall |%s%n", mode, mode,
                cpu ? " plain, CPU | " + mode + ", CPU | ratio, CPU |" : ""));
        out.append(cpu ? "|---|---:|---:|---:|---:|---:|---:|\n" : "|---|---:|---:|---:|\n");
        double wallLogs = 0;
        double cpuLogs = 0;
        int kernels = 0;
        for (String k : KERNELS) {
            if (!s.has("kernel", "kernel", k, "mode", "plain") || !s.has("kernel", "kernel", k, "mode", mode)) {
                continue;
            }
            kernels++;
            double plain = s.median("kernel", "kernel", k, "mode", "plain");
            double instrumented = s.median("kernel", "kernel", k, "mode", mode);
            wallLogs += Math.log(instrumented / plain);
            out.append(String.format(Locale.ROOT, "| %s | %s | %s | %.3fx |", k, Scores.format(plain),
                    Scores.format(instrumented), instrumented / plain));
            if (cpu) {
                double plainCpu = s.cpuMedian("kernel", "kernel", k, "mode", "plain");
                double instrumentedCpu = s.cpuMedian("kernel", "kernel", k, "mode", mode);
                cpuLogs += Math.log(instrumentedCpu / plainCpu);
                out.append(String.format(Locale.ROOT, " %s | %s | %.3fx |", Scores.format(plainCpu),
                        Scores.format(instrumentedCpu), instrumentedCpu / plainCpu));
            }
            out.append('\n');
        }
        if (kernels == 0) {
            return;
        }
        if (s.has("baseline")) {
            out.append(String.format(Locale.ROOT, "| baseline | %s | | |%s%n", Scores.format(s.median("baseline")),
                    cpu ? " " + Scores.format(s.cpuMedian("baseline")) + " | | |" : ""));
        }
        out.append(String.format(Locale.ROOT, "%nMedians in %s. Geometric mean of the %s/plain ratios over %d kernels "
                + "(bar: <= 1.10x, aim 1.03x): wall %.3fx", s.unit(), mode, kernels, Math.exp(wallLogs / kernels)));
        if (cpu) {
            out.append(String.format(Locale.ROOT, ", CPU %.3fx", Math.exp(cpuLogs / kernels)));
        }
        out.append('\n');
    }
}
