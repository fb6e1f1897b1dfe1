package dev.ringfence.benchmarks;

import bench.kernels.Runaway;
import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.Policy;
import dev.ringfence.limiter.RunResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * How late a runaway loop stops: an instrumented loop that never ends runs under
 * {@link MeteredExecutor}, first with a CPU budget of 100 ms, then with a wall-clock deadline of
 * 100 ms, 21 times each; prints the median and the maximum overshoot. Bars: within 10 ms of the
 * CPU budget, within 50 ms of the wall deadline.
 *
 * <p>Run with {@code -Dringfence.allowUngated=true}: the capability gates are the agent's, and the
 * deny policy they enforce has no part in how fast a budget stops a loop.
 */
public final class StopLatency {
    private static final int RUNS = 21;
    private static final long LIMIT = TimeUnit.MILLISECONDS.toNanos(100);
    /** A wall deadline for the CPU runs too, so that a broken CPU budget cannot hang the driver. */
    private static final long SAFETY = TimeUnit.SECONDS.toNanos(10);
    private static final long CPU_BAR = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long WALL_BAR = TimeUnit.MILLISECONDS.toNanos(50);

    private StopLatency() {
    }

    /**
     * Runs the measurement.
     *
     * @param args the flavours of probes to measure, {@code guarded} and/or {@code counting}; both when none
     */
    public static void main(String[] args) {
        MeteredExecutor executor = new MeteredExecutor("stop-latency", TimeUnit.SECONDS.toNanos(1), 0);
        String[] modes = args.length == 0 ? new String[] {"guarded", "counting"} : args;
        StringBuilder out = new StringBuilder();
        for (String mode : modes) {
            measure(executor, mode, out);
        }
        out.append(String.format(Locale.ROOT, "%nthreads abandoned: %d%n", executor.abandonedThreads()));
        System.out.print(out);
    }

    private static void measure(MeteredExecutor executor, String mode, StringBuilder out) {
        KernelLoader loader = KernelLoader.forMode(mode);
        LongSupplier runaway = loader.create(Runaway.class);

        List<Long> cpuOver = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            RunResult<Long> r = executor.run(new Budgets(SAFETY, LIMIT, 0, 0), Policy.DENY_ALL, loader, runaway::getAsLong);
            expect(r, Outcome.CPU_EXCEEDED);
            cpuOver.add(r.cpuNanos() - LIMIT);
        }
        List<Long> wallOver = new ArrayList<>();
        List<Long> callerOver = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            long start = System.nanoTime();
            RunResult<Long> r = executor.run(new Budgets(LIMIT, 0, 0, 0), Policy.DENY_ALL, loader, runaway::getAsLong);
            long seen = System.nanoTime() - start;
            expect(r, Outcome.TIMEOUT);
            wallOver.add(r.wallNanos() - LIMIT);
            callerOver.add(seen - LIMIT);
        }

        out.append(String.format(Locale.ROOT, "%n%s probes: %d runs each, budget 100 ms; overshoot in ms%n%n", mode, RUNS));
        out.append("| what | median | max | bar | verdict |\n|---|---:|---:|---:|---|\n");
        out.append(row("CPU time - CPU budget (handler thread)", cpuOver, CPU_BAR));
        out.append(row("wall time - deadline (handler thread)", wallOver, WALL_BAR));
        out.append(row("wall time - deadline (as the caller sees it)", callerOver, WALL_BAR));
    }

    private static void expect(RunResult<Long> r, Outcome outcome) {
        if (r.outcome() != outcome) {
            throw new IllegalStateException("expected " + outcome + ", got " + r.outcome() + ": " + r.message());
        }
    }

    private static String row(String what, List<Long> overNanos, long bar) {
        List<Long> sorted = new ArrayList<>(overNanos);
        sorted.sort(null);
        long median = sorted.get(sorted.size() / 2);
        long max = sorted.get(sorted.size() - 1);
        return String.format(Locale.ROOT, "| %s | %.2f | %.2f | %d | %s |%n", what, median / 1e6, max / 1e6,
                bar / 1_000_000, max <= bar ? "max within the bar" : median <= bar ? "median within, max ABOVE" : "ABOVE the bar");
    }
}
