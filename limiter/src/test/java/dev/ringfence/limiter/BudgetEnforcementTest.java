package dev.ringfence.limiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/**
 * The hostile cases every flavour of probes must stop; {@link CountingBudgetEnforcementTest} and
 * {@link GuardedBudgetEnforcementTest} run them against the two flavours, and add their own.
 */
abstract class BudgetEnforcementTest {
    static final long MS = 1_000_000L;
    static final MeteredExecutor EXECUTOR = new MeteredExecutor("test", 2_000 * MS, 0);

    private static final String HOSTILE = String.join("\n",
            "package t;",
            "import java.util.concurrent.Callable;",
            "public class Hostile {",
            "  static volatile long sink;",
            "  public static Object spin() { while (true) { sink++; } }",
            "  public static Object catchThrowable() { while (true) { try { spin(); } catch (Throwable t) { sink--; } } }",
            "  @SuppressWarnings(\"finally\")",
            "  public static Object finallyReturn() { try { spin(); } finally { return \"swallowed\"; } }",
            "  @SuppressWarnings(\"finally\")",
            "  public static Object finallyReturnInline() { try { while (true) { sink++; } } finally { return \"swallowed\"; } }",
            "  public static Object finallyLoop() { try { spin(); } finally { while (true) { sink++; } } }",
            "  public static Object hugeArray() { int n = Integer.MAX_VALUE - 16 - (int) (sink & 1); return new long[n]; }",
            "  public static Object hugeMulti() { int n = 100_000 + (int) (sink & 1); return new long[n][n]; }",
            "  public static Object churn() { while (true) { sink += new byte[4096].length; } }",
            "  public static Object jdkAlloc() { StringBuilder sb = new StringBuilder(); while (true) { sb.append(\"0123456789\"); if (sb.length() > 50_000_000) sb.setLength(0); } }",
            "  public static Object oneBigJdkAlloc() { return \"x\".repeat(100_000_000).length(); }",
            "  public static Object jdkSized() { StringBuilder sb = new StringBuilder(); sb.setLength(1_500_000_000 + (int) (sink & 1)); return sb.length(); }",
            "  public static Object jdkRepeat() { return \"0123456789\".repeat(100_000_000 + (int) (sink & 1)).length(); }",
            "  public static Object jdkList() { return new java.util.ArrayList<Object>(1_500_000_000 + (int) (sink & 1)).size(); }",
            "  public static Object recurse(int n) { return recurse(n + 1); }",
            "  public static Object recurseCatching(int n) { try { return recurseCatching(n + 1); } catch (StackOverflowError e) { return recurseCatching(n + 1); } }",
            "  public static Object fib(int n) { return n < 2 ? n : (Integer) fib(n - 1) + (Integer) fib(n - 2); }",
            "  public static Object sleepSwallowing() { while (true) { try { Thread.sleep(50); } catch (InterruptedException e) { } } }",
            "  public static Object regex() { return \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac\".matches(\"(a|a)+\\\\1b\"); }",
            "  public static Object regexOk() { return java.util.Arrays.toString(\"a1b22c\".split(\"[0-9]+\")) + \"x-y\".replaceAll(\"-\", \"+\") + java.util.regex.Pattern.compile(\"b+\").matcher(\"abbc\").find(); }",
            "  public static Object synchronizedBlocks() { Object lock = new Object(); int s = 0; for (int i = 0; i < 100000; i++) { synchronized (lock) { s += i; } } return s; }",
            "  public static Object callback() { return new Object() { @Override public String toString() { return \"called\"; } }; }",
            "  public static Object busy(int n) { long s = 0; for (int i = 0; i < n; i++) { s += fibLong(20); } return s; }",
            "  static long fibLong(int n) { return n < 2 ? n : fibLong(n - 1) + fibLong(n - 2); }",
            "}");

    private static final Map<Metering, Class<?>> LOADED = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Runs a task the way this class tests: handed to a worker ({@link MeteredExecutor#run}) here,
     * on the caller's own thread in the {@code Inline…} subclasses.
     */
    <T> RunResult<T> execute(Budgets b, Policy policy, ClassLoader loader, Callable<T> task) {
        return execute(b, policy, loader, null, task);
    }

    /** Like {@link #execute(Budgets, Policy, ClassLoader, Callable)}, on a CPU quota. */
    <T> RunResult<T> execute(Budgets b, Policy policy, ClassLoader loader, ShareQuota quota, Callable<T> task) {
        return EXECUTOR.run(b, policy, loader, quota, task);
    }

    /** @return the flavour of probes this class tests */
    abstract Metering metering();

    final Class<?> hostile() {
        return LOADED.computeIfAbsent(metering(), m -> {
            try {
                return new Compiler.InstrumentingLoader(Compiler.compile(Map.of("t.Hostile", HOSTILE)), m).loadClass("t.Hostile");
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    final RunResult<Object> run(Budgets b, String method, Object... args) {
        return run(b, null, method, args);
    }

    final RunResult<Object> run(Budgets b, ShareQuota quota, String method, Object... args) {
        Class<?> hostileClass = hostile();
        Callable<Object> task = () -> {
            for (java.lang.reflect.Method m : hostileClass.getDeclaredMethods()) {
                if (m.getName().equals(method)) {
                    try {
                        return m.invoke(null, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw (Exception) (e.getCause() instanceof Exception ? e.getCause() : new RuntimeException(e.getCause()));
                    }
                }
            }
            throw new NoSuchMethodException(method);
        };
        return execute(b, Policy.DENY_ALL, hostileClass.getClassLoader(), quota, task);
    }

    /** Runs a static method of {@link Crafted} in a version of its own. */
    final RunResult<Object> runCrafted(Budgets b, String method) {
        ClassLoader loader = new Compiler.InstrumentingLoader(Map.of(Crafted.NAME, Crafted.bytes()), metering());
        return execute(b, Policy.DENY_ALL, loader, () -> {
            try {
                return loader.loadClass(Crafted.NAME).getMethod(method).invoke(null);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw (Exception) (e.getCause() instanceof Exception ? e.getCause() : new RuntimeException(e.getCause()));
            }
        });
    }

    static Budgets wall(long ms) {
        return new Budgets(ms * MS, 0, 0, 0);
    }

    @Test
    void shouldStopARunawayLoopAtItsCpuBudget() {
        RunResult<Object> r = run(new Budgets(5_000 * MS, 100 * MS, 0, 0), "spin");
        assertEquals(Outcome.CPU_EXCEEDED, r.outcome(), r.message());
        assertFalse(r.abandoned());
    }

    @Test
    void shouldStopARunawayLoopAtItsDeadline() {
        RunResult<Object> r = run(wall(100), "spin");
        assertEquals(Outcome.TIMEOUT, r.outcome(), r.message());
        assertFalse(r.abandoned());
    }

    @Test
    void shouldNotLetCatchThrowableSwallowTheAbort() {
        assertEquals(Outcome.TIMEOUT, run(wall(100), "catchThrowable").outcome());
    }

    @Test
    void shouldNotLetAReturnInFinallySwallowTheAbort() {
        RunResult<Object> r = run(wall(100), "finallyReturn");
        assertEquals(Outcome.TIMEOUT, r.outcome(), r.message());
        assertFalse(r.abandoned(), "the guard must not rethrow into its own handler forever");
    }

    @Test
    void shouldStopALoopInAFinallyBlock() {
        RunResult<Object> r = run(wall(100), "finallyLoop");
        assertEquals(Outcome.TIMEOUT, r.outcome());
        assertFalse(r.abandoned());
    }

    @Test
    void shouldCheckAHugeArrayBeforeItIsAllocated() {
        RunResult<Object> r = run(new Budgets(5_000 * MS, 0, 0, 64L << 20), "hugeArray");
        assertEquals(Outcome.ALLOC_EXCEEDED, r.outcome(), r.message());
        assertTrue(r.allocatedBytes() < 64L << 20, "nothing big was allocated: " + r.allocatedBytes());
    }

    @Test
    void shouldCheckAMultiDimensionalArrayBeforeItIsAllocated() {
        RunResult<Object> r = run(new Budgets(5_000 * MS, 0, 0, 64L << 20), "hugeMulti");
        assertEquals(Outcome.ALLOC_EXCEEDED, r.outcome(), r.message());
    }

    @Test
    void shouldChargeAllocationsMadeInsideJdkCode() {
        RunResult<Object> r = run(new Budgets(10_000 * MS, 0, 0, 64L << 20), "jdkAlloc");
        assertEquals(Outcome.ALLOC_EXCEEDED, r.outcome(), r.message());
    }

    @Test
    void shouldEndAsAllocExceededWhenOneJdkCallAllocatesPastTheBudget() {
        RunResult<Object> r = run(new Budgets(10_000 * MS, 0, 0, 64L << 20), "oneBigJdkAlloc");
        assertEquals(Outcome.ALLOC_EXCEEDED, r.outcome(), r.message());
    }

    @Test
    void shouldCheckJdkCallsSizedByAnArgumentBeforeTheyAllocate() {
        Budgets b = new Budgets(10_000 * MS, 0, 0, 64L << 20);
        for (String method : new String[] {"jdkSized", "jdkRepeat", "jdkList"}) {
            RunResult<Object> r = run(b, method);
            assertEquals(Outcome.ALLOC_EXCEEDED, r.outcome(), method + ": " + r.message());
            assertTrue(r.allocatedBytes() < 64L << 20, method + " allocated nothing big: " + r.allocatedBytes());
        }
    }

    @Test
    void shouldEndDeepRecursionAsStackExceeded() {
        assertEquals(Outcome.STACK_EXCEEDED, run(wall(10_000), "recurse", 0).outcome());
    }

    @Test
    void shouldEndRecursionThatCatchesStackOverflowAsStackExceeded() {
        RunResult<Object> r = run(wall(10_000), "recurseCatching", 0);
        assertEquals(Outcome.STACK_EXCEEDED, r.outcome(), r.message());
    }

    @Test
    void shouldStopALoopThatSwallowsInterrupts() {
        RunResult<Object> r = run(wall(200), "sleepSwallowing");
        assertEquals(Outcome.TIMEOUT, r.outcome());
        assertFalse(r.abandoned(), "the catch guard stops it at the interrupt");
    }

    @Test
    void shouldStopRegexBacktrackingInsideTheJdk() {
        RunResult<Object> r = run(wall(300), "regex");
        assertEquals(Outcome.TIMEOUT, r.outcome());
        assertFalse(r.abandoned(), "the metered text stops the match");
    }

    @Test
    void shouldKeepRegexResultsUnchanged() {
        RunResult<Object> r = run(wall(10_000), "regexOk");
        assertEquals("[a, b, c]x+ytrue", r.value(), r.message());
    }

    @Test
    void shouldNotLetAMonitorHandlerCatchItsOwnMonitorErrorForever() {
        RunResult<Object> r = runCrafted(wall(200), "selfCatch");
        assertFalse(r.abandoned(), "the handler must not loop through no probe: " + r.message());
        assertEquals(Outcome.ERROR, r.outcome(), r.message());
        assertTrue(r.message().contains("IllegalMonitorStateException"), r.message());
    }

    @Test
    void shouldStopACycleOfAGuardedAndAMonitorHandlerCoveringEachOther() {
        RunResult<Object> r = runCrafted(wall(200), "cycle");
        assertEquals(Outcome.TIMEOUT, r.outcome(), r.message());
        assertFalse(r.abandoned(), "the abort must leave the cycle: " + r.message());
    }

    @Test
    void shouldKeepSynchronizedBlocksWorking() {
        RunResult<Object> r = run(wall(10_000), "synchronizedBlocks");
        assertEquals(Outcome.OK, r.outcome(), r.message());
        assertEquals(704982704, r.value());
    }

    @Test
    void shouldDenyAnOverrideCalledBackFromInsideThePrivilegedWindow() {
        RunResult<Object> r = execute(wall(10_000), Policy.DENY_ALL, hostile().getClassLoader(), () -> {
            Object handlerObject = hostile().getMethod("callback").invoke(null);
            Meter m = SandboxThread.currentMeter();
            boolean was = m.setPrivileged(true); // as a gate does before it asks an argument for its path
            try {
                return handlerObject.toString();
            } finally {
                m.setPrivileged(was);
            }
        });
        assertEquals(Outcome.DENIED, r.outcome(), r.message());
        assertTrue(r.message().contains("called back from inside"), r.message());
    }

    @Test
    void shouldLetTheSameOverrideRunOutsideThePrivilegedWindow() {
        RunResult<Object> r = execute(wall(10_000), Policy.DENY_ALL, hostile().getClassLoader(),
                () -> hostile().getMethod("callback").invoke(null).toString());
        assertEquals(Outcome.OK, r.outcome(), r.message());
        assertEquals("called", r.value());
    }

    @Test
    void shouldHoldInvocationsSharingAQuotaToTheirShareOfTheCpu() throws Exception {
        ShareQuota quota = ShareQuota.of(0.1, 0);
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            java.util.List<java.util.concurrent.Future<RunResult<Object>>> spinners = new java.util.ArrayList<>();
            for (int i = 0; i < 2; i++) {
                spinners.add(two.submit(() -> run(wall(400), quota, "spin")));
            }
            long cpu = 0;
            for (java.util.concurrent.Future<RunResult<Object>> f : spinners) {
                RunResult<Object> r = f.get(30, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(Outcome.TIMEOUT, r.outcome(), r.message());
                assertFalse(r.abandoned(), "a paused invocation still ends at its deadline: " + r.message());
                cpu += r.cpuNanos();
            }
            assertTrue(quota.throttles() > 0 && quota.pausedNanos() > 0, "the quota paused them");
            // 0.1 core over 400 ms is 40 ms; allow a period, the samples' lag and the last pause's wake-up
            assertTrue(cpu < 120 * MS, "two spinners used " + cpu / MS + " ms of CPU in 400 ms on a 0.1-core share");
        } finally {
            two.shutdownNow();
        }
    }

    @Test
    void shouldHoldInvocationsSharingAQuotaToTheirAllocationRate() throws Exception {
        ShareQuota quota = ShareQuota.of(0, 16L << 20); // 16 MB/s
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            java.util.List<java.util.concurrent.Future<RunResult<Object>>> churners = new java.util.ArrayList<>();
            for (int i = 0; i < 2; i++) {
                churners.add(two.submit(() -> run(wall(400), quota, "churn")));
            }
            long bytes = 0;
            for (java.util.concurrent.Future<RunResult<Object>> f : churners) {
                RunResult<Object> r = f.get(30, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(Outcome.TIMEOUT, r.outcome(), r.message());
                assertFalse(r.abandoned(), r.message());
                bytes += r.allocatedBytes();
            }
            assertTrue(quota.throttles() > 0 && quota.pausedNanos() > 0, "the quota paused them");
            // 16 MB/s over 400 ms is 6.4 MB, but until the first sample (2 ms, later on a busy machine) a churner
            // allocates at full speed, gigabytes a second: the debt that burst leaves pauses both past their deadline
            assertTrue(bytes < 256L << 20, "two churners allocated " + (bytes >> 20) + " MB in 400 ms on a 16 MB/s share");
        } finally {
            two.shutdownNow();
        }
    }
}
