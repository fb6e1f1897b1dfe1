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

        /** {@code plain} or {@code instrumented}. */
        @Param({"plain", "instrumented"})
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

        /** Detaches the meter and shows that the instrumented kernel really charged it. */
        @TearDown(Level.Trial)
        public void detach() {
            if (meter == null) {
                return;
            }
            long fuel = meter.fuelUsed();
            meter.detach();
            System.out.printf(Locale.ROOT, "%n[ringfence] %s instrumented: %,d ticks charged to the meter%n", kernel, fuel);
            if (fuel == 0 || meter.tripped()) {
                throw new IllegalStateException("the meter was not charged, or tripped: " + meter.tripMessage());
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
        boolean cpu = s.hasCpu();
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%n| kernel | plain, wall | instrumented, wall | ratio, wall |%s%n", cpu
                        ? " plain, CPU | instrumented, CPU | ratio, CPU |" : ""));
        out.append(cpu ? "|---|---:|---:|---:|---:|---:|---:|\n" : "|---|---:|---:|---:|\n");
        double wallLogs = 0;
        double cpuLogs = 0;
        int kernels = 0;
        for (String k : KERNELS) {
            if (!s.has("kernel", "kernel", k, "mode", "plain") || !s.has("kernel", "kernel", k, "mode", "instrumented")) {
                continue;
            }
            kernels++;
            double plain = s.median("kernel", "kernel", k, "mode", "plain");
            double instrumented = s.median("kernel", "kernel", k, "mode", "instrumented");
            wallLogs += Math.log(instrumented / plain);
            out.append(String.format(Locale.ROOT, "| %s | %s | %s | %.3fx |", k, Scores.format(plain),
                    Scores.format(instrumented), instrumented / plain));
            if (cpu) {
                double plainCpu = s.cpuMedian("kernel", "kernel", k, "mode", "plain");
                double instrumentedCpu = s.cpuMedian("kernel", "kernel", k, "mode", "instrumented");
                cpuLogs += Math.log(instrumentedCpu / plainCpu);
                out.append(String.format(Locale.ROOT, " %s | %s | %.3fx |", Scores.format(plainCpu),
                        Scores.format(instrumentedCpu), instrumentedCpu / plainCpu));
            }
            out.append('\n');
        }
        if (s.has("baseline")) {
            out.append(String.format(Locale.ROOT, "| baseline | %s | | |%s%n", Scores.format(s.median("baseline")),
                    cpu ? " " + Scores.format(s.cpuMedian("baseline")) + " | | |" : ""));
        }
        out.append(String.format(Locale.ROOT, "%nMedians in %s. Geometric mean of the ratios over %d kernels "
                + "(bar: <= 1.10x, aim 1.03x): wall %.3fx", s.unit(), kernels, Math.exp(wallLogs / kernels)));
        if (cpu) {
            out.append(String.format(Locale.ROOT, ", CPU %.3fx", Math.exp(cpuLogs / kernels)));
        }
        System.out.println(out);
    }
}
