package dev.ringfence.limiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * The hostile cases against guarded probes, which count nothing: budgets are watched from the
 * caller and a trip arms the version's guard.
 */
class GuardedBudgetEnforcementTest extends BudgetEnforcementTest {
    @Override
    Metering metering() {
        return Metering.GUARD;
    }

    private Guard guard() {
        return Guard.of(hostile().getClassLoader());
    }

    @Test
    void shouldRefuseAFuelBudgetItCannotCount() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(new Budgets(10_000 * MS, 0, 5_000_000, 0), "spin"));
        assertTrue(e.getMessage().contains("counting probes"), e.getMessage());
    }

    @Test
    void shouldArmTheVersionsGuardOnATripAndDisarmItWhenTheInvocationEnds() {
        long before = guard().arms();
        RunResult<Object> r = run(wall(100), "spin");
        assertEquals(Outcome.TIMEOUT, r.outcome(), r.message());
        assertFalse(r.abandoned());
        assertEquals(before + 1, guard().arms(), "the trip armed the guard once");
        assertEquals(0, guard().armedBy(), "disarmed once the invocation left the handler's code");
    }

    @Test
    void shouldNotArmTheGuardForAnInvocationThatEndsWell() {
        long before = guard().arms();
        RunResult<Object> r = run(wall(10_000), "busy", 3);
        assertEquals(Outcome.OK, r.outcome(), r.message());
        assertEquals(3 * 6765L, r.value());
        assertEquals(before, guard().arms());
    }

    @Test
    void shouldLetOtherInvocationsOfTheVersionRunOnWhileOneTrips() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(2);
        try {
            CompletableFuture<RunResult<Object>> healthy = CompletableFuture.supplyAsync(
                    () -> run(wall(20_000), "busy", 2_000), callers);
            CompletableFuture<RunResult<Object>> runaway = CompletableFuture.supplyAsync(
                    () -> run(new Budgets(10_000 * MS, 50 * MS, 0, 0), "spin"), callers);
            RunResult<Object> r = runaway.get();
            assertEquals(Outcome.CPU_EXCEEDED, r.outcome(), r.message());
            RunResult<Object> h = healthy.get();
            assertEquals(Outcome.OK, h.outcome(), h.message());
            assertEquals(2_000 * 6765L, h.value());
        } finally {
            callers.shutdownNow();
        }
        assertEquals(0, guard().armedBy());
    }

    @Test
    void shouldStopAnAllocatingLoopAtItsAllocationBudget() {
        RunResult<Object> r = run(new Budgets(10_000 * MS, 0, 0, 64L << 20), "jdkAlloc");
        assertEquals(Outcome.ALLOC_EXCEEDED, r.outcome(), r.message());
        assertFalse(r.abandoned());
    }

    @Test
    void shouldNotRethrowIntoAFinallyHandlerThatCoversItself() {
        RunResult<Object> r = run(wall(100), "finallyReturnInline");
        assertEquals(Outcome.TIMEOUT, r.outcome(), r.message());
        assertFalse(r.abandoned());
    }

    @Test
    void shouldStopAWatchedThreadAtItsCpuBudgetWithNoCallerSampling() throws Exception {
        // no executor: nobody samples this thread's CPU, only its own armed guard checks do
        java.util.concurrent.atomic.AtomicReference<Object> out = new java.util.concurrent.atomic.AtomicReference<>();
        SandboxThread t = new SandboxThread(null, () -> {
            Thread.currentThread().setContextClassLoader(hostile().getClassLoader());
            Meter m = Meter.attachToCurrentThread(new Budgets(0, 30 * MS, 0, 0), Policy.DENY_ALL);
            try {
                m.watchClosely();
                hostile().getMethod("spin").invoke(null);
                out.set("the loop ended");
            } catch (java.lang.reflect.InvocationTargetException e) {
                out.set(e.getCause() instanceof BudgetAbort ? m.tripOutcome() : e.getCause());
            } catch (ReflectiveOperationException e) {
                out.set(e);
            } finally {
                m.detach();
            }
        }, "watched", 0);
        t.start();
        t.join(10_000);
        assertFalse(t.isAlive(), "the watched loop did not stop by itself");
        assertEquals(Outcome.CPU_EXCEEDED, out.get());
        assertEquals(0, guard().armedBy());
    }
}
