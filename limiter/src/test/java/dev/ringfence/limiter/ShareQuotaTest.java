package dev.ringfence.limiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The quota's accounting, on instants given by the test. */
class ShareQuotaTest {
    private static final long MS = 1_000_000L;

    @Test
    void shouldThrottleOnceAPeriodsQuotaIsUsedAndCarryTheDebtOver() {
        long t0 = System.nanoTime();
        ShareQuota q = ShareQuota.startingAt(0.25, 0, t0); // 2.5 ms of CPU per 10 ms period
        assertFalse(q.charge(2 * MS, 0, t0));
        assertTrue(q.charge(5 * MS, 0, t0 + MS), "7 ms used of a 2.5 ms quota");
        assertEquals(1, q.throttles());
        // 7 ms is two quotas and a bit: throttled for two periods, free again in the third
        assertTrue(q.throttled(t0 + 15 * MS));
        assertFalse(q.charge(0, 0, t0 + 25 * MS) && q.throttled(t0 + 25 * MS), "paid off after two periods");
        // two periods paid 5 ms of the 7: the third starts with 2 ms of debt, 0.5 ms left
        assertFalse(q.charge(400_000, 0, t0 + 26 * MS));
        assertTrue(q.charge(200_000, 0, t0 + 27 * MS));
    }

    @Test
    void shouldForgetUsedTimeAfterAnIdleStretch() {
        long t0 = System.nanoTime();
        ShareQuota q = ShareQuota.startingAt(1, 0, t0);
        assertTrue(q.charge(50 * MS, 0, t0));
        assertFalse(q.charge(MS, 0, t0 + 10_000 * MS), "ten seconds later the debt is long paid");
    }

    @Test
    void shouldRefuseAShareThatIsNotPositive() {
        assertThrows(IllegalArgumentException.class, () -> ShareQuota.of(0, 0));
        assertThrows(IllegalArgumentException.class, () -> ShareQuota.of(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> ShareQuota.of(0, -1));
        assertThrows(IllegalArgumentException.class, () -> ShareQuota.of(Double.NaN, 0));
        assertThrows(IllegalArgumentException.class, () -> ShareQuota.of(Double.POSITIVE_INFINITY, 0));
    }

    @Test
    void shouldThrottleOnEitherShareAndIgnoreWhatItDoesNotCharge() {
        long t0 = System.nanoTime();
        ShareQuota q = ShareQuota.startingAt(0, 100_000_000L, t0); // 1 MB per 10 ms period
        assertFalse(q.charge(50 * MS, 500_000, t0), "CPU is not charged on an allocation share");
        assertTrue(q.charge(0, 3_000_000, t0 + MS), "3.5 MB of a 1 MB period");
        assertTrue(q.throttled(t0 + 25 * MS), "three periods to pay it off");
        assertFalse(q.charge(0, 0, t0 + 45 * MS) && q.throttled(t0 + 45 * MS));
    }
}
