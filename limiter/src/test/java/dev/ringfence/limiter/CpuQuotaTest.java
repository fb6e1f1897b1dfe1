package dev.ringfence.limiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The quota's accounting, on instants given by the test. */
class CpuQuotaTest {
    private static final long MS = 1_000_000L;

    @Test
    void shouldThrottleOnceAPeriodsQuotaIsUsedAndCarryTheDebtOver() {
        CpuQuota q = CpuQuota.of(0.25); // 2.5 ms of CPU per 10 ms period
        long t0 = System.nanoTime();
        assertFalse(q.charge(2 * MS, t0));
        assertTrue(q.charge(5 * MS, t0 + MS), "7 ms used of a 2.5 ms quota");
        assertEquals(1, q.throttles());
        // 7 ms is two quotas and a bit: throttled for two periods, free again in the third
        assertTrue(q.throttled(t0 + 15 * MS));
        assertFalse(q.charge(0, t0 + 25 * MS) && q.throttled(t0 + 25 * MS), "paid off after two periods");
        // two periods paid 5 ms of the 7: the third starts with 2 ms of debt, 0.5 ms left
        assertFalse(q.charge(400_000, t0 + 26 * MS));
        assertTrue(q.charge(200_000, t0 + 27 * MS));
    }

    @Test
    void shouldForgetUsedTimeAfterAnIdleStretch() {
        CpuQuota q = CpuQuota.of(1);
        long t0 = System.nanoTime();
        assertTrue(q.charge(50 * MS, t0));
        assertFalse(q.charge(MS, t0 + 10_000 * MS), "ten seconds later the debt is long paid");
    }

    @Test
    void shouldRefuseAShareThatIsNotPositive() {
        assertThrows(IllegalArgumentException.class, () -> CpuQuota.of(0));
        assertThrows(IllegalArgumentException.class, () -> CpuQuota.of(-1));
        assertThrows(IllegalArgumentException.class, () -> CpuQuota.of(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> CpuQuota.of(Double.POSITIVE_INFINITY));
    }
}
