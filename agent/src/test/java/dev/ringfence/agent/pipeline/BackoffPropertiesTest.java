package dev.ringfence.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class BackoffPropertiesTest {
    @Property(tries = 500)
    void everyDelayLiesWithinZeroAndItsCeiling(@ForAll @LongRange(min = 1, max = 10_000_000_000L) long base,
            @ForAll @LongRange(min = 0, max = 100_000_000_000L) long extra, @ForAll @IntRange(min = 0, max = 200) int retry) {
        Backoff b = Backoff.withThreadLocalRandom(base, base + extra);
        long ceiling = b.ceilingNanos(retry);
        assertTrue(ceiling >= Math.min(base, base + extra) && ceiling <= base + extra);
        long d = b.delayNanos(retry);
        assertTrue(d >= 0 && d <= ceiling, d + " outside [0, " + ceiling + "]");
    }
}
