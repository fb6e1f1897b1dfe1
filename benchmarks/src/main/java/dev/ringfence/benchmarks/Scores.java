package dev.ringfence.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs one benchmark class with JMH's command-line options and reads back the median of its
 * measurement iterations, which is less sensitive than the mean to the other builds sharing the
 * machine.
 */
final class Scores {
    private final Collection<RunResult> results;

    private Scores(Collection<RunResult> results) {
        this.results = results;
    }

    /**
     * Runs the benchmarks of one class.
     *
     * @param benchmark the benchmark class
     * @param args JMH command-line options ({@code -f 1 -wi 3 -w 1s -i 5 -r 1s}, ...)
     * @return the scores
     * @throws RunnerException when JMH fails
     * @throws CommandLineOptionException when the options cannot be read
     */
    static Scores run(Class<?> benchmark, String[] args) throws RunnerException, CommandLineOptionException {
        CommandLineOptions cli = new CommandLineOptions(args);
        OptionsBuilder options = new OptionsBuilder();
        options.parent(cli);
        options.include("\\." + benchmark.getSimpleName() + "\\.");
        return new Scores(new Runner(options.build()).run());
    }

    /**
     * Tells whether a benchmark method ran with the given parameter values.
     *
     * @param method the benchmark method's name
     * @param params alternating parameter names and values
     * @return true when its result is among the results
     */
    boolean has(String method, String... params) {
        return find(method, params) != null;
    }

    /**
     * The median score of a benchmark method, for the given parameter values.
     *
     * @param method the benchmark method's name
     * @param params alternating parameter names and values
     * @return the median of the measurement iterations, in the benchmark's output unit
     * @throws IllegalArgumentException when no such run is among the results
     */
    double median(String method, String... params) {
        RunResult r = find(method, params);
        if (r == null) {
            throw new IllegalArgumentException("no result for " + method + " " + String.join(" ", params));
        }
        List<Double> scores = new ArrayList<>();
        for (BenchmarkResult b : r.getBenchmarkResults()) {
            for (IterationResult i : b.getIterationResults()) {
                scores.add(i.getPrimaryResult().getScore());
            }
        }
        return median(scores);
    }

    /**
     * The median CPU time per operation that {@link ThreadCpuProfiler} recorded for a benchmark
     * method, for the given parameter values.
     *
     * @param method the benchmark method's name
     * @param params alternating parameter names and values
     * @return the median over the measurement iterations in microseconds, or NaN when the
     *     profiler was not on
     */
    double cpuMedian(String method, String... params) {
        RunResult r = find(method, params);
        if (r == null) {
            throw new IllegalArgumentException("no result for " + method + " " + String.join(" ", params));
        }
        List<Double> scores = new ArrayList<>();
        for (BenchmarkResult b : r.getBenchmarkResults()) {
            for (IterationResult i : b.getIterationResults()) {
                Result<?> cpu = i.getSecondaryResults().get(ThreadCpuProfiler.LABEL);
                if (cpu != null) {
                    scores.add(cpu.getScore());
                }
            }
        }
        return scores.isEmpty() ? Double.NaN : median(scores);
    }

    /** @return true when {@link ThreadCpuProfiler} was on */
    boolean hasCpu() {
        for (RunResult r : results) {
            for (BenchmarkResult b : r.getBenchmarkResults()) {
                for (IterationResult i : b.getIterationResults()) {
                    if (i.getSecondaryResults().containsKey(ThreadCpuProfiler.LABEL)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private RunResult find(String method, String[] params) {
        for (RunResult r : results) {
            if (r.getParams().getBenchmark().endsWith("." + method) && matches(r, params)) {
                return r;
            }
        }
        return null;
    }

    /** @return the unit the scores are in */
    String unit() {
        return results.iterator().next().getPrimaryResult().getScoreUnit();
    }

    private static boolean matches(RunResult r, String[] params) {
        for (int i = 0; i < params.length; i += 2) {
            if (!params[i + 1].equals(r.getParams().getParam(params[i]))) {
                return false;
            }
        }
        return true;
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static String format(double value) {
        if (Math.abs(value) < 0.01) {
            return String.format(Locale.ROOT, "%.2e", value);
        }
        return String.format(Locale.ROOT, Math.abs(value) < 10 ? "%.3f" : "%.1f", value);
    }
}
