package dev.ringfence.limiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import org.junit.jupiter.api.Test;

/** Invocations metered on a host's own thread (method budgets of an attached agent). */
class HostMetersTest {
    private static final Budgets FUEL_1000 = new Budgets(0, 0, 1_000, 0);

    private static void tickUpTo(HostMeters meters, int times) {
        for (int i = 0; i < times; i++) {
            meters.tick();
        }
    }

    @Test
    void shouldStopAnInvocationWhenItsFuelRunsOut() {
        HostMeters meters = new HostMeters();
        assertTrue(meters.begin(FUEL_1000, true, "site"));
        BudgetAbort abort = assertThrows(BudgetAbort.class, () -> tickUpTo(meters, 1_000_000));
        assertTrue(HostMeters.isAbort(abort));
        HostMeters.Ended e = meters.end(abort);
        assertEquals(Outcome.FUEL_EXCEEDED, e.outcome());
        assertTrue(e.stopped());
        assertEquals("site", e.tag());
        assertFalse(meters.inInvocation());
        assertEquals(0, meters.running());
    }

    @Test
    void shouldMeterANestedCallAsPartOfTheOuterOne() {
        HostMeters meters = new HostMeters();
        assertTrue(meters.begin(FUEL_1000, true, "outer"));
        assertFalse(meters.begin(Budgets.NONE, true, "inner"));
        assertNull(meters.end(null));
        assertTrue(meters.inInvocation());
        assertThrows(BudgetAbort.class, () -> tickUpTo(meters, 1_000_000));
        assertEquals("outer", meters.end(null).tag());
        assertFalse(meters.inInvocation());
    }

    @Test
    void shouldOnlyRecordAnOverrunWhenTheBudgetDoesNotStop() {
        HostMeters meters = new HostMeters();
        meters.begin(FUEL_1000, false, "observed");
        tickUpTo(meters, 100_000);
        HostMeters.Ended e = meters.end(null);
        assertNotNull(e);
        assertEquals(Outcome.FUEL_EXCEEDED, e.outcome());
        assertFalse(e.stopped());
        assertTrue(e.fuel() >= 100_000, "fuel " + e.fuel());
    }

    @Test
    void shouldChargeNothingOnAThreadWithoutInvocation() {
        HostMeters meters = new HostMeters();
        tickUpTo(meters, 100_000);
        meters.arrayTotal(Long.MAX_VALUE / 64, 3, 1);
        assertNull(meters.end(null));
        assertEquals(0, meters.running());
    }

    @Test
    void shouldStopAStoppableCallThatCaughtAStackOverflowButNotAnObservedOne() {
        HostMeters meters = new HostMeters();
        meters.begin(FUEL_1000, true, "stops");
        assertThrows(BudgetAbort.class, () -> meters.caught(new StackOverflowError()));
        assertEquals(Outcome.STACK_EXCEEDED, meters.end(null).outcome());
        meters.begin(FUEL_1000, false, "observes");
        meters.caught(new StackOverflowError());
        assertEquals(Outcome.OK, meters.end(null).outcome());
    }

    @Test
    void shouldEndAnInvocationThatThrewAsAnError() {
        HostMeters meters = new HostMeters();
        meters.begin(FUEL_1000, true, "t");
        assertEquals(Outcome.ERROR, meters.end(new IllegalStateException()).outcome());
    }
}
