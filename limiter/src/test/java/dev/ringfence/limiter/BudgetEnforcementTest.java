package dev.ringfence.limiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

class BudgetEnforcementTest {
    private static final long MS = 1_000_000L;
    private static final MeteredExecutor EXECUTOR = new MeteredExecutor("test", 2_000 * MS, 0);

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
            "}");

    private static final Class<?> HOSTILE_CLASS = load();

    private static Class<?> load() {
        try {
            return new Compiler.InstrumentingLoader(Compiler.compile(Map.of("t.Hostile", HOSTILE))).loadClass("t.Hostile");
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    private static RunResult<Object> run(Budgets b, String method, Object... args) {
        Callable<Object> task = () -> {
            for (java.lang.reflect.Method m : HOSTILE_CLASS.getMethods()) {
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
        return EXECUTOR.run(b, Policy.DENY_ALL, HOSTILE_CLASS.getClassLoader(), task);
    }

    private static Budgets wall(long ms) {
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
    void shouldStopARunawayLoopWhenItsFuelRunsOut() {
        RunResult<Object> r = run(new Budgets(10_000 * MS, 0, 5_000_000, 0), "spin");
        assertEquals(Outcome.FUEL_EXCEEDED, r.outcome(), r.message());
        assertTrue(r.fuel() >= 5_000_000 && r.fuel() < 5_000_000 + 2 * Meter.SLOW_QUANTUM, "fuel " + r.fuel());
    }

    @Test
    void shouldChargeTheSameFuelForTheSameWork() {
        RunResult<Object> a = run(wall(10_000), "fib", 20);
        RunResult<Object> b = run(wall(10_000), "fib", 20);
        assertEquals(Outcome.OK, a.outcome(), a.message());
        assertEquals(6765, a.value());
        assertEquals(a.fuel(), b.fuel());
        assertTrue(a.fuel() > 20_000, "fib(20) enters more than 20000 methods: " + a.fuel());
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
    void shouldNotRethrowIntoAFinallyHandlerThatCoversItself() {
        RunResult<Object> r = run(new Budgets(0, 0, 1_000_000, 0), "finallyReturnInline");
        assertEquals(Outcome.FUEL_EXCEEDED, r.outcome(), r.message());
        assertFalse(r.abandoned());
    }

    @Test
    void shouldStopALoopInAFinallyBlock() {
        RunResult<Object> r = run(wall(100), "finallyLoop");
        assertEquals(Outcome.TIMEOUT, r.outcome());
        assertFalse(r.abandoned());
    }

    @Test
    void shouldStopAFinallyLoopOnFuelAloneWithoutADeadline() {
        RunResult<Object> r = run(new Budgets(0, 0, 1_000_000, 0), "finallyLoop");
        assertEquals(Outcome.FUEL_EXCEEDED, r.outcome());
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
    void shouldDenyHandlerCodeCalledBackFromInsideThePrivilegedWindow() {
        RunResult<Object> r = EXECUTOR.run(wall(10_000), Policy.DENY_ALL, HOSTILE_CLASS.getClassLoader(), () -> {
            Meter m = SandboxThread.currentMeter();
            boolean was = m.setPrivileged(true); // as a gate does before it asks an argument for its path
            try {
                return HOSTILE_CLASS.getMethod("fib", int.class).invoke(null, 5);
            } finally {
                m.setPrivileged(was);
            }
        });
        assertEquals(Outcome.DENIED, r.outcome(), r.message());
        assertTrue(r.message().contains("called back from inside"), r.message());
    }

    @Test
    void shouldKeepSynchronizedBlocksWorking() {
        RunResult<Object> r = run(wall(10_000), "synchronizedBlocks");
        assertEquals(Outcome.OK, r.outcome(), r.message());
        assertEquals(704982704, r.value());
    }
}
