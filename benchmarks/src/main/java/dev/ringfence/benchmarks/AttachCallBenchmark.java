package dev.ringfence.benchmarks;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * What a method budget of an attached agent costs a call: the same small method unbudgeted,
 * budgeted (the wrapper only: its body is not instrumented), and budgeted with its body
 * instrumented (the wrapper and the loop's probes), side by side in one run. Each benchmark's
 * fork attaches the real agent jar to itself at the start of the trial, through the CLI in a
 * child process ({@code java -jar ringfence-agent.jar attach PID …}), and detaches at the end. The agent jar
 * is {@code ../agent/target/ringfence-agent.jar} (run from {@code benchmarks/}) unless
 * {@code -Dringfence.agentJar} says otherwise.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class AttachCallBenchmark {
    /** The call nothing budgets. */
    public static final class Plain {
        private Plain() {
        }

        /**
         * @param a numbers
         * @return their sum
         */
        public static int sum(int[] a) {
            int s = 0;
            for (int x : a) {
                s += x;
            }
            return s;
        }
    }

    /** The same call, budgeted; its body is not instrumented. */
    public static final class Budgeted {
        private Budgeted() {
        }

        /**
         * @param a numbers
         * @return their sum
         */
        public static int sum(int[] a) {
            int s = 0;
            for (int x : a) {
                s += x;
            }
            return s;
        }
    }

    /** The same call, budgeted, and its body instrumented. */
    public static final class Instrumented {
        private Instrumented() {
        }

        /**
         * @param a numbers
         * @return their sum
         */
        public static int sum(int[] a) {
            int s = 0;
            for (int x : a) {
                s += x;
            }
            return s;
        }
    }

    private final int[] numbers = new int[16];

    /**
     * Attaches the agent to this JVM with budgets on {@link Budgeted#sum} and {@link Instrumented#sum};
     * throws when the attach fails.
     */
    @Setup(Level.Trial)
    public void attach() {
        String prefix = AttachCallBenchmark.class.getName();
        String report = cli("attach", "budget.bench.methods=" + prefix + "$Budgeted#sum," + prefix + "$Instrumented#sum",
                "budget.bench.timeout=10s", "budget.bench.instrument=" + prefix + "$Instrumented");
        System.out.println("[ringfence] attached:\n" + report);
    }

    /** Detaches the agent; throws when the detach fails. */
    @TearDown(Level.Trial)
    public void detach() {
        System.out.println("[ringfence] detached:\n" + cli("detach"));
    }

    private static String cli(String verb, String... settings) {
        Path jar = Path.of(System.getProperty("ringfence.agentJar", "../agent/target/ringfence-agent.jar"));
        List<String> args = new ArrayList<>(List.of(verb, Long.toString(ProcessHandle.current().pid())));
        args.addAll(List.of(settings));
        return AgentCli.run(jar, args.toArray(new String[0]));
    }

    /**
     * @return the sum, unbudgeted
     */
    @Benchmark
    public int unbudgeted() {
        return Plain.sum(numbers);
    }

    /**
     * @return the sum, through the budget's wrapper
     */
    @Benchmark
    public int budgeted() {
        return Budgeted.sum(numbers);
    }

    /**
     * @return the sum, through the wrapper and the probes of an instrumented body
     */
    @Benchmark
    public int budgetedInstrumented() {
        return Instrumented.sum(numbers);
    }

    /**
     * Runs the benchmark and prints the medians side by side.
     *
     * @param args JMH options
     * @throws Exception when JMH fails
     */
    public static void main(String[] args) throws Exception {
        Scores s = Scores.run(AttachCallBenchmark.class, args);
        double plain = s.median("unbudgeted");
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%n| call | median, %s | over unbudgeted |%n|---|---:|---:|%n",
                s.unit()));
        out.append(String.format(Locale.ROOT, "| unbudgeted | %s | |%n", Scores.format(plain)));
        for (String m : new String[] {"budgeted", "budgetedInstrumented"}) {
            double v = s.median(m);
            out.append(String.format(Locale.ROOT, "| %s | %s | %s |%n", m, Scores.format(v), Scores.format(v - plain)));
        }
        System.out.println(out);
    }
}
