package dev.ringfence.benchmarks;

import dev.ringfence.limiter.Meter;
import dev.ringfence.limiter.Policy;
import dev.ringfence.limiter.Probes;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.SwitchPoint;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Why instrumented loops and calls cost what they cost: three kernels of {@link OverheadBenchmark}
 * written out by hand with different probe shapes at their back-edges and method entries.
 * <ul>
 *   <li>{@code plain}: no probe;</li>
 *   <li>{@code probes}: exactly what the instrumenter emits ({@code Probes.enter/edge/tick}), under
 *       a real meter;</li>
 *   <li>{@code counter}: the frame's countdown alone, with no call on its refill path: the part of
 *       the cost that counting itself accounts for;</li>
 *   <li>{@code guard}: no counting, an invalidatable {@link SwitchPoint} guard instead, which the
 *       JIT compiles to nothing and a watchdog would invalidate to stop the loop (by
 *       deoptimisation).</li>
 * </ul>
 * Plus the cost of one array check ({@code Probes.array}) and of the thread-allocated-bytes read
 * inside it. A diagnostic for BENCHMARKS.md, not a figure the issue bounds.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {SandboxThreadPool.EXECUTOR, SandboxThreadPool.EXECUTOR_CLASS})
@State(Scope.Thread)
public class ProbeShapeBenchmark {
    private static final int N = 64;
    private static final int QUANTUM = 1024;
    private static final SwitchPoint STOP = new SwitchPoint();
    private static final MethodHandle GUARD;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MethodType v = MethodType.methodType(void.class);
            GUARD = STOP.guardWithTest(lookup.findStatic(ProbeShapeBenchmark.class, "pass", v),
                    lookup.findStatic(ProbeShapeBenchmark.class, "stopped", v));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int[] cells = new int[N * N];
    private final double[][] a = new double[N][N];
    private final double[][] b = new double[N][N];
    private final double[][] product = new double[N][N];
    private int depth = 22;
    private int arrayLength = 100;
    private final com.sun.management.ThreadMXBean threadBean =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private Meter meter;

    /** Fills the inputs and attaches a meter (CPU, allocation and wall budgets on) to this thread. */
    @Setup(Level.Trial)
    public void attach() {
        int s = 12_345;
        for (int i = 0; i < cells.length; i++) {
            s = s * 1_103_515_245 + 12_345;
            cells[i] = s >>> 8;
        }
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                a[i][j] = (i * 31 + j) % 17 / 8.0;
                b[i][j] = (j * 29 + i) % 13 / 4.0;
            }
        }
        meter = Meter.attachToCurrentThread(NeverTrip.cpuAllocWall(), Policy.DENY_ALL);
    }

    /** Detaches the meter. */
    @TearDown(Level.Trial)
    public void detach() {
        meter.detach();
    }

    private static void pass() {
        // the guard's target while nothing is stopped
    }

    private static void stopped() {
        throw new IllegalStateException("stopped");
    }

    // ------------------------------------------------------------------------------- loops

    /** @return the loops kernel without probes */
    @Benchmark
    public long loopsPlain() {
        long sum = 0;
        int xor = 0;
        for (int r = 0; r < N; r++) {
            int base = r * N;
            for (int c = 0; c < N; c++) {
                int v = cells[base + c];
                sum += v;
                xor ^= v + r;
            }
        }
        return sum ^ xor;
    }

    /** @return the loops kernel with the instrumenter's probes */
    @Benchmark
    public long loopsProbes() {
        int credit = Probes.enter();
        long sum = 0;
        int xor = 0;
        for (int r = 0; r < N; r++) {
            int base = r * N;
            for (int c = 0; c < N; c++) {
                int v = cells[base + c];
                sum += v;
                xor ^= v + r;
                credit = Probes.edge(credit);
            }
            credit = Probes.edge(credit);
        }
        return sum ^ xor;
    }

    /** @return the loops kernel with a countdown and no call */
    @Benchmark
    public long loopsCounter() {
        int credit = QUANTUM;
        long sum = 0;
        int xor = 0;
        for (int r = 0; r < N; r++) {
            int base = r * N;
            for (int c = 0; c < N; c++) {
                int v = cells[base + c];
                sum += v;
                xor ^= v + r;
                credit = credit > 1 ? credit - 1 : QUANTUM;
            }
            credit = credit > 1 ? credit - 1 : QUANTUM;
        }
        return (sum ^ xor) + credit;
    }

    /**
     * @return the loops kernel with a switch-point guard at each back-edge
     * @throws Throwable never, unless stopped
     */
    @Benchmark
    public long loopsGuard() throws Throwable {
        long sum = 0;
        int xor = 0;
        for (int r = 0; r < N; r++) {
            int base = r * N;
            for (int c = 0; c < N; c++) {
                int v = cells[base + c];
                sum += v;
                xor ^= v + r;
                GUARD.invokeExact();
            }
            GUARD.invokeExact();
        }
        return sum ^ xor;
    }

    // ------------------------------------------------------------------------------- matrix

    /** @return the matrix kernel without probes */
    @Benchmark
    public long matrixPlain() {
        for (int i = 0; i < N; i++) {
            double[] row = a[i];
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < N; k++) {
                    s += row[k] * b[k][j];
                }
                product[i][j] = s;
            }
        }
        return (long) product[3][5];
    }

    /** @return the matrix kernel with the instrumenter's probes */
    @Benchmark
    public long matrixProbes() {
        int credit = Probes.enter();
        for (int i = 0; i < N; i++) {
            double[] row = a[i];
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < N; k++) {
                    s += row[k] * b[k][j];
                    credit = Probes.edge(credit);
                }
                product[i][j] = s;
                credit = Probes.edge(credit);
            }
            credit = Probes.edge(credit);
        }
        return (long) product[3][5];
    }

    /** @return the matrix kernel with a countdown and no call */
    @Benchmark
    public long matrixCounter() {
        int credit = QUANTUM;
        for (int i = 0; i < N; i++) {
            double[] row = a[i];
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < N; k++) {
                    s += row[k] * b[k][j];
                    credit = credit > 1 ? credit - 1 : QUANTUM;
                }
                product[i][j] = s;
                credit = credit > 1 ? credit - 1 : QUANTUM;
            }
            credit = credit > 1 ? credit - 1 : QUANTUM;
        }
        return (long) product[3][5] + credit;
    }

    /**
     * @return the matrix kernel with a switch-point guard at each back-edge
     * @throws Throwable never, unless stopped
     */
    @Benchmark
    public long matrixGuard() throws Throwable {
        for (int i = 0; i < N; i++) {
            double[] row = a[i];
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < N; k++) {
                    s += row[k] * b[k][j];
                    GUARD.invokeExact();
                }
                product[i][j] = s;
                GUARD.invokeExact();
            }
            GUARD.invokeExact();
        }
        return (long) product[3][5];
    }

    // ------------------------------------------------------------------------------- recursion

    /** @return fib(22) without probes */
    @Benchmark
    public long recursionPlain() {
        return fibPlain(depth);
    }

    /** @return fib(22) with the instrumenter's method-entry tick */
    @Benchmark
    public long recursionProbes() {
        return fibTick(depth);
    }

    /**
     * @return fib(22) with a switch-point guard at each method entry
     * @throws Throwable never, unless stopped
     */
    @Benchmark
    public long recursionGuard() throws Throwable {
        return fibGuard(depth);
    }

    // ------------------------------------------------------------------------------- arrays

    /**
     * The check the instrumenter puts before an array whose length is not a small constant, under
     * the meter (allocation budget on): it reads the thread's allocated bytes every time.
     */
    @Benchmark
    public void arrayProbe() {
        Probes.array(arrayLength, 0);
    }

    /** @return the thread's allocated bytes, read the way the meter reads them */
    @Benchmark
    public long threadAllocatedBytes() {
        return threadBean.getCurrentThreadAllocatedBytes();
    }

    /** @return a constant: the harness alone */
    @Benchmark
    public long baseline() {
        return 42;
    }

    /**
     * Runs the benchmark and prints each shape's median and its ratio to plain.
     *
     * @param args JMH options, e.g. {@code -f 1 -wi 3 -w 1s -i 5 -r 1s}
     * @throws Exception when JMH fails
     */
    public static void main(String[] args) throws Exception {
        Scores s = Scores.run(ProbeShapeBenchmark.class, args);
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%nMedians in %s.%n", s.unit()));
        out.append(table(s, "wall", m -> s.median(m)));
        if (s.hasCpu()) {
            out.append(table(s, "CPU", m -> s.cpuMedian(m)));
        }
        System.out.print(out);
    }

    private static String table(Scores s, String kind, java.util.function.ToDoubleFunction<String> median) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%n| kernel (%s) | plain | probes (as instrumented) | counter, no call | switch-point guard |%n", kind));
        out.append("|---|---:|---:|---:|---:|\n");
        for (String kernel : new String[] {"loops", "matrix", "recursion"}) {
            if (!s.has(kernel + "Plain")) {
                continue;
            }
            double plain = median.applyAsDouble(kernel + "Plain");
            out.append("| ").append(kernel);
            for (String shape : new String[] {"Plain", "Probes", "Counter", "Guard"}) {
                out.append(" | ");
                if (!s.has(kernel + shape)) {
                    out.append('-');
                    continue;
                }
                double v = median.applyAsDouble(kernel + shape);
                out.append(Scores.format(v));
                if (!shape.equals("Plain")) {
                    out.append(String.format(Locale.ROOT, " (%.2fx)", v / plain));
                }
            }
            out.append(" |\n");
        }
        for (String single : new String[] {"arrayProbe", "threadAllocatedBytes", "baseline"}) {
            if (s.has(single)) {
                out.append(String.format(Locale.ROOT, "%n%s (%s): %s", single, kind, Scores.format(median.applyAsDouble(single))));
            }
        }
        return out.append('\n').toString();
    }

    private static int fibPlain(int n) {
        return n < 2 ? n : fibPlain(n - 1) + fibPlain(n - 2);
    }

    private static int fibTick(int n) {
        Probes.tick();
        return n < 2 ? n : fibTick(n - 1) + fibTick(n - 2);
    }

    private static int fibGuard(int n) throws Throwable {
        GUARD.invokeExact();
        return n < 2 ? n : fibGuard(n - 1) + fibGuard(n - 2);
    }
}
