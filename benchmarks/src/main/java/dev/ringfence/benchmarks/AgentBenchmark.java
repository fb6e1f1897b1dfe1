package dev.ringfence.benchmarks;

import bench.kernels.Loops;
import bench.kernels.MixedAllocation;
import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import dev.ringfence.limiter.GateStatus;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.Metering;
import dev.ringfence.limiter.Policy;
import dev.ringfence.limiter.RunResult;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * What budgets cost handler code in a JVM that runs the real agent: the forks of {@code plain}
 * and {@code sandboxed} start with {@code -javaagent:target/ringfence-agent.jar} (the shaded jar,
 * copied next to the benchmark jar by the build; run from {@code benchmarks/}), so the capability
 * gates are woven into the JDK as in production. The same handler code, a loop-heavy one
 * ({@link Loops}) and an allocation-heavy one ({@link MixedAllocation}), run {@code calls} times
 * per invocation:
 * <ul>
 *   <li>{@code plain}: called directly, unsandboxed, on the agent's JVM;</li>
 *   <li>{@code sandboxed}: loaded instrumented (guarded probes, as for a route without a fuel
 *       budget) and run as one invocation of a {@link MeteredExecutor} under CPU, allocation and
 *       wall budgets that are on but never trip ({@code budgets=never-trip}; {@code -p
 *       budgets=never-trip,none} adds the sandbox without budgets), either in place on JMH's
 *       thread ({@code path=in-place}, as {@code serve} runs a request on its HTTP thread) or
 *       handed to a pooled sandbox worker ({@code path=hand-off}, as {@code invoke} and the
 *       in-process API do);</li>
 *   <li>{@code plainWithoutAgent} and {@code sandboxedWithoutAgent}: the same in forks without
 *       the agent, the sandbox allowed to run ungated ({@code -Dringfence.allowUngated=true}), to
 *       show what the agent itself adds.</li>
 * </ul>
 * JMH's threads are host threads of {@link HostThreadPool#SANDBOX} in every fork, so that
 * {@link ThreadCpuProfiler} counts the CPU time of the benchmark thread and of the executor's
 * workers alike.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {SandboxThreadPool.EXECUTOR, HostThreadPool.EXECUTOR_CLASS})
public class AgentBenchmark {
    /** The shaded agent jar, relative to {@code benchmarks/}, where the build copies it. */
    static final String AGENT_JAR = "target/ringfence-agent.jar";
    /** The agent on the benchmark JVM, for {@code @Fork(jvmArgsAppend = ...)}. */
    static final String AGENT = "-javaagent:" + AGENT_JAR;
    /** Lets the sandbox run without the gates, in the forks without the agent. */
    static final String UNGATED = "-Dringfence.allowUngated=true";
    /**
     * What the agent does for the sandbox besides the gates: opens {@code java.lang} so that a
     * thread's thread locals can be put aside and cleared around an invocation. Without it the
     * executor neither runs in place nor reuses its workers, which is not what the forks without
     * the agent are meant to show.
     */
    static final String OPEN_LANG = "--add-opens=java.base/java.lang=ALL-UNNAMED";

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
     * The handler code called directly, on a JVM with the agent.
     *
     * @param h the handler code
     * @return its result
     */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {SandboxThreadPool.EXECUTOR, HostThreadPool.EXECUTOR_CLASS, AGENT})
    public long plain(Workload h) {
        return h.call();
    }

    /**
     * The handler code called directly, on a JVM without the agent.
     *
     * @param h the handler code
     * @return its result
     */
    @Benchmark
    public long plainWithoutAgent(Workload h) {
        return h.call();
    }

    /**
     * One invocation of the instrumented handler code through the sandbox, on a JVM with the agent.
     *
     * @param s the sandbox and the handler code
     * @return the handler's result
     */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {SandboxThreadPool.EXECUTOR, HostThreadPool.EXECUTOR_CLASS, AGENT})
    public long sandboxed(Sandboxed s) {
        return s.invoke();
    }

    /**
     * One invocation through the sandbox, on a JVM without the agent (ungated).
     *
     * @param s the sandbox and the handler code
     * @return the handler's result
     */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {SandboxThreadPool.EXECUTOR, HostThreadPool.EXECUTOR_CLASS, UNGATED, OPEN_LANG})
    public long sandboxedWithoutAgent(Sandboxed s) {
        return s.invoke();
    }

    /** The handler code, loaded plain, and how many times one invocation runs it. */
    @State(Scope.Thread)
    public static class Workload {
        /** {@code loops} ({@link Loops}) or {@code allocation} ({@link MixedAllocation}). */
        @Param({"loops", "allocation"})
        public String handler;

        /** How many runs of the handler code make one invocation. */
        @Param({"1", "100"})
        public int calls;

        private LongSupplier code;

        /** Loads the handler code with this state's loader. */
        @Setup(Level.Trial)
        public void load() {
            code = loader().create(handlerClass(handler));
        }

        /** @return the loader of the handler code; plain here */
        KernelLoader loader() {
            return KernelLoader.plain();
        }

        /** @return the sum of the results of {@code calls} runs of the handler code */
        long call() {
            long sum = 0;
            for (int i = 0; i < calls; i++) {
                sum += code.getAsLong();
            }
            return sum;
        }
    }

    /** The handler code instrumented, and how its invocations run. */
    @State(Scope.Thread)
    public static class Sandboxed extends Workload {
        /** {@code never-trip}: CPU, allocation and wall budgets on, never reached; {@code none}. */
        @Param({"never-trip"})
        public String budgets;

        /** {@code in-place} on JMH's thread, or {@code hand-off} to a pooled worker. */
        @Param({"in-place", "hand-off"})
        public String path;

        private final KernelLoader loader = KernelLoader.instrumented(Metering.GUARD);
        private final MeteredExecutor executor = HostThreadPool.SANDBOX;
        private Budgets limits;
        private boolean inPlace;
        private long invocations;

        @Override
        KernelLoader loader() {
            return loader;
        }

        /**
         * Checks that the gates are in exactly when the agent is, and that an in-place invocation
         * really runs on this thread.
         */
        @Setup(Level.Trial)
        public void start() {
            boolean ungated = Boolean.getBoolean("ringfence.allowUngated");
            if (GateStatus.installed() == ungated) {
                throw new IllegalStateException(ungated ? "the gates are installed in a fork meant to run without the agent"
                        : "the agent's gates are not installed: the fork must start with " + AGENT + " (from benchmarks/)");
            }
            limits = budgets(budgets);
            inPlace = inPlace(path);
            Thread caller = Thread.currentThread();
            RunResult<Boolean> here = inPlace ? executor.runHere(limits, Policy.DENY_ALL, loader, null,
                    () -> Thread.currentThread() == caller, AgentBenchmark::unexpected, AgentBenchmark::unexpected)
                    : executor.run(limits, Policy.DENY_ALL, loader, () -> Thread.currentThread() == caller);
            if (here.outcome() != Outcome.OK || here.value() != inPlace) {
                throw new IllegalStateException("an invocation on path " + path + " ran " + (Boolean.TRUE.equals(here.value())
                        ? "" : "not ") + "on the caller's thread (" + here.outcome() + "): JMH's threads must be "
                        + "HostThreadPool's (" + HostThreadPool.EXECUTOR_CLASS + ")");
            }
        }

        /** @return the handler's result, after one invocation through the sandbox */
        long invoke() {
            RunResult<Long> r = inPlace
                    ? executor.runHere(limits, Policy.DENY_ALL, loader, null, this::call, AgentBenchmark::unexpected,
                            AgentBenchmark::unexpected)
                    : executor.run(limits, Policy.DENY_ALL, loader, this::call);
            if (r.outcome() != Outcome.OK) {
                throw new IllegalStateException("an invocation ended " + r.outcome() + ": " + r.message());
            }
            invocations++;
            return r.value();
        }

        /** Fails the run if a worker was abandoned, and says how many invocations ran. */
        @TearDown(Level.Trial)
        public void stop() {
            System.out.printf(Locale.ROOT, "%n[ringfence] %s x%d, budgets %s, %s, gates %s: %,d invocations, %d abandoned%n",
                    handler, calls, budgets, path, GateStatus.installed() ? "installed" : "off", invocations,
                    executor.abandonedThreads());
            if (executor.abandonedThreads() != 0) {
                throw new IllegalStateException("a worker was abandoned: a budget tripped");
            }
        }
    }

    /**
     * The watchdog's answer for an in-place invocation that did not end in time: never expected
     * under budgets that never trip; {@code runHere} then throws, which fails the run.
     */
    private static <T> void unexpected(RunResult<T> r) {
        System.err.printf(Locale.ROOT, "[ringfence] unexpected answer from the watchdog: %s %s%n", r.outcome(), r.message());
    }

    private static boolean inPlace(String path) {
        switch (path) {
            case "in-place":
                return true;
            case "hand-off":
                return false;
            default:
                throw new IllegalArgumentException("path is in-place or hand-off, not " + path);
        }
    }
    private static Budgets budgets(String name) {
        switch (name) {
            case "never-trip":
                return NeverTrip.cpuAllocWall();
            case "none":
                return Budgets.NONE;
            default:
                throw new IllegalArgumentException("budgets is never-trip or none, not " + name);
        }
    }

    private static Class<? extends LongSupplier> handlerClass(String name) {
        switch (name) {
            case "loops":
                return Loops.class;
            case "allocation":
                return MixedAllocation.class;
            default:
                throw new IllegalArgumentException("handler is loops or allocation, not " + name);
        }
    }

    /**
     * Runs the benchmark and prints, per handler, calls and budgets, each variant's median (wall,
     * and CPU when {@link ThreadCpuProfiler} ran) and its ratio to plain on the agent's JVM.
     *
     * @param args JMH options, e.g. {@code -f 1 -wi 3 -w 1s -i 5 -r 1s -prof dev.ringfence.benchmarks.ThreadCpuProfiler}
     * @throws Exception when JMH fails
     * @throws IllegalStateException when the agent jar is not where the forks look for it
     */
    public static void main(String[] args) throws Exception {
        requireAgentJar();
        Scores s = Scores.run(AgentBenchmark.class, args);
        StringBuilder out = new StringBuilder();
        table(s, "wall", s::median, out);
        if (s.hasCpu()) {
            table(s, "CPU", s::cpuMedian, out);
        }
        System.out.println(out);
    }

    /** Reads one kind of median of a method for some parameter values. */
    private interface Reading {
        double median(String method, String... params);
    }

    private static void table(Scores s, String kind, Reading r, StringBuilder out) {
        out.append(String.format(Locale.ROOT, "%n%s, medians in %s; ratio to plain with the agent.%n%n| handler | calls "
                + "| budgets | plain | plain, no agent | in place | hand-off | in place, no agent | hand-off, no agent |%n"
                + "|---|---:|---|---:|---:|---:|---:|---:|---:|%n", kind, s.unit()));
        for (String h : new String[] {"loops", "allocation"}) {
            for (String calls : new String[] {"1", "100"}) {
                for (String b : new String[] {"never-trip", "none"}) {
                    if (!s.has("plain", "handler", h, "calls", calls) || !s.has("sandboxed", "handler", h, "calls", calls, "budgets", b)) {
                        continue;
                    }
                    double plain = r.median("plain", "handler", h, "calls", calls);
                    out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |", h, calls, b, Scores.format(plain)));
                    out.append(cell(s, r, plain, "plainWithoutAgent", "handler", h, "calls", calls));
                    for (String method : new String[] {"sandboxed", "sandboxedWithoutAgent"}) {
                        for (String path : new String[] {"in-place", "hand-off"}) {
                            out.append(cell(s, r, plain, method, "handler", h, "calls", calls, "budgets", b, "path", path));
                        }
                    }
                    out.append('\n');
                }
            }
        }
        if (s.has("baseline")) {
            out.append(String.format(Locale.ROOT, "%nbaseline (%s): %s%n", kind, Scores.format(r.median("baseline"))));
        }
    }

    private static String cell(Scores s, Reading r, double plain, String method, String... params) {
        if (!s.has(method, params)) {
            return " |";
        }
        double v = r.median(method, params);
        return String.format(Locale.ROOT, " %s (%.2fx) |", Scores.format(v), v / plain);
    }

    /** Fails with what to do when the forks would not find the agent jar. */
    static void requireAgentJar() {
        Path jar = Path.of(AGENT_JAR);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the agent jar is not at " + jar.toAbsolutePath() + ": build with "
                    + "`mvn -B -pl benchmarks -am -DskipTests package` (it copies agent/target/ringfence-agent.jar "
                    + "there) and run from benchmarks/");
        }
    }
}
