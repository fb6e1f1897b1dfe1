package dev.ringfence.limiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import org.junit.jupiter.api.Test;

/** The hostile cases against counting probes, and the fuel budget only they can enforce. */
class CountingBudgetEnforcementTest extends BudgetEnforcementTest {
    @Override
    Metering metering() {
        return Metering.COUNT;
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
    void shouldNotRethrowIntoAFinallyHandlerThatCoversItself() {
        RunResult<Object> r = run(new Budgets(0, 0, 1_000_000, 0), "finallyReturnInline");
        assertEquals(Outcome.FUEL_EXCEEDED, r.outcome(), r.message());
        assertFalse(r.abandoned());
    }

    @Test
    void shouldStopAFinallyLoopOnFuelAloneWithoutADeadline() {
        RunResult<Object> r = run(new Budgets(0, 0, 1_000_000, 0), "finallyLoop");
        assertEquals(Outcome.FUEL_EXCEEDED, r.outcome());
        assertFalse(r.abandoned());
    }

    @Test
    void shouldDenyAnyHandlerCodeCalledBackFromInsideThePrivilegedWindow() {
        RunResult<Object> r = execute(wall(10_000), Policy.DENY_ALL, hostile().getClassLoader(), () -> {
            Meter m = SandboxThread.currentMeter();
            boolean was = m.setPrivileged(true); // as a gate does before it asks an argument for its path
            try {
                return hostile().getMethod("fib", int.class).invoke(null, 5);
            } finally {
                m.setPrivileged(was);
            }
        });
        assertEquals(Outcome.DENIED, r.outcome(), r.message());
        assertTrue(r.message().contains("called back from inside"), r.message());
    }

}
