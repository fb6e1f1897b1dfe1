package dev.ringfence.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Outcome;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RetryPolicyTest {
    private static final long MS = 1_000_000L;
    private static final long FAR = 60_000 * MS;

    private final BackoffTest.ScriptedRandom random = new BackoffTest.ScriptedRandom();
    private final Backoff backoff = new Backoff(10 * MS, 80 * MS, random);

    private RetryPolicy policy(int max, boolean idempotent) {
        return new RetryPolicy(max, idempotent, backoff, RetryPolicy.DEFAULT_RETRYABLE);
    }

    @Test
    void shouldRetryAFailureBeforeTheHandlerRanEvenWhenNotIdempotent() {
        assertEquals(10 * MS, policy(2, false).delayBeforeRetry(0, Outcome.CRASHED, false, 0, FAR));
    }

    @Test
    void shouldNotRetryAFailureAfterTheHandlerRanUnlessIdempotent() {
        assertEquals(RetryPolicy.NO_RETRY, policy(2, false).delayBeforeRetry(0, Outcome.ERROR, true, 0, FAR));
        assertEquals(10 * MS, policy(2, true).delayBeforeRetry(0, Outcome.ERROR, true, 0, FAR));
    }

    @Test
    void shouldBackOffFurtherWithEachRetryAndStopAtMax() {
        RetryPolicy p = policy(3, true);
        assertEquals(10 * MS, p.delayBeforeRetry(0, Outcome.ERROR, true, 0, FAR));
        assertEquals(20 * MS, p.delayBeforeRetry(1, Outcome.ERROR, true, 0, FAR));
        assertEquals(40 * MS, p.delayBeforeRetry(2, Outcome.ERROR, true, 0, FAR));
        assertEquals(RetryPolicy.NO_RETRY, p.delayBeforeRetry(3, Outcome.ERROR, true, 0, FAR));
        assertEquals(List.of(10 * MS + 1, 20 * MS + 1, 40 * MS + 1), random.bounds, "no draw once max is reached");
        assertEquals(RetryPolicy.NO_RETRY, policy(0, true).delayBeforeRetry(0, Outcome.ERROR, false, 0, FAR));
    }

    @Test
    void shouldNeverScheduleARetryAtOrPastTheDeadline() {
        RetryPolicy p = policy(2, true);
        long now = 5_000 * MS;
        assertEquals(RetryPolicy.NO_RETRY, p.delayBeforeRetry(0, Outcome.ERROR, true, now, now + 10 * MS),
                "the drawn wait would end exactly at the deadline");
        assertEquals(10 * MS, p.delayBeforeRetry(0, Outcome.ERROR, true, now, now + 10 * MS + 1));
        assertEquals(RetryPolicy.NO_RETRY, p.delayBeforeRetry(0, Outcome.ERROR, true, now, now - 1),
                "the deadline has passed");
        random.highest = false;
        assertEquals(0, p.delayBeforeRetry(0, Outcome.ERROR, true, now, now + 1), "a zero wait fits in what is left");
    }

    @ParameterizedTest
    @EnumSource(value = Outcome.class, names = {"ERROR", "CRASHED"}, mode = EnumSource.Mode.EXCLUDE)
    void shouldNotRetryOtherOutcomesByDefault(Outcome outcome) {
        assertEquals(RetryPolicy.NO_RETRY, policy(5, true).delayBeforeRetry(0, outcome, false, 0, FAR));
    }

    @Test
    void shouldRetryWhatTheCallerCallsRetryable() {
        RetryPolicy p = new RetryPolicy(1, false, backoff, EnumSet.of(Outcome.TIMEOUT));
        assertEquals(10 * MS, p.delayBeforeRetry(0, Outcome.TIMEOUT, false, 0, FAR));
        assertEquals(RetryPolicy.NO_RETRY, p.delayBeforeRetry(0, Outcome.ERROR, false, 0, FAR));
        assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(1, false, backoff, EnumSet.of(Outcome.OK)));
        assertThrows(IllegalArgumentException.class, () -> policy(-1, false));
    }

    @Test
    void shouldTakeItsSettingsFromTheRoute() {
        RetryPolicy p = RetryPolicy.of(new RouteSettings.Retry(1, 10 * MS, 20 * MS, true));
        assertEquals(1, p.max());
        assertTrue(p.idempotent());
        long d = p.delayBeforeRetry(0, Outcome.ERROR, true, 0, FAR);
        assertTrue(d >= 0 && d <= 10 * MS, Long.toString(d));
        assertEquals(RetryPolicy.NO_RETRY, p.delayBeforeRetry(1, Outcome.ERROR, true, 0, FAR));
    }
}
