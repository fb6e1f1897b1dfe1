package dev.ringfence.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private static final long MS = 1_000_000L;

    /** Answers every draw with the largest value allowed, or 0, and remembers the bounds asked for. */
    static final class ScriptedRandom implements RandomGenerator {
        final List<Long> bounds = new ArrayList<>();
        boolean highest = true;

        @Override
        public long nextLong() {
            throw new AssertionError("only nextLong(bound) is used");
        }

        @Override
        public long nextLong(long bound) {
            bounds.add(bound);
            return highest ? bound - 1 : 0;
        }
    }

    @Test
    void shouldDoubleTheCeilingUpToTheCap() {
        Backoff b = new Backoff(10 * MS, 80 * MS, new ScriptedRandom());
        assertEquals(List.of(10 * MS, 20 * MS, 40 * MS, 80 * MS, 80 * MS),
                List.of(b.ceilingNanos(0), b.ceilingNanos(1), b.ceilingNanos(2), b.ceilingNanos(3), b.ceilingNanos(4)));
    }

    @Test
    void shouldNeverOverflowForLargeRetries() {
        Backoff b = new Backoff(1_000 * MS, Long.MAX_VALUE, new ScriptedRandom());
        assertEquals(Long.MAX_VALUE, b.ceilingNanos(40));
        assertEquals(Long.MAX_VALUE, b.ceilingNanos(Integer.MAX_VALUE));
        assertEquals(1_000 * MS << 20, b.ceilingNanos(20));
        assertTrue(b.delayNanos(Integer.MAX_VALUE) >= 0);
    }

    @Test
    void shouldDrawFromZeroToTheCeilingInclusive() {
        ScriptedRandom r = new ScriptedRandom();
        Backoff b = new Backoff(10 * MS, 80 * MS, r);
        assertEquals(40 * MS, b.delayNanos(2), "the highest draw is the ceiling itself");
        r.highest = false;
        assertEquals(0, b.delayNanos(2), "the lowest draw is no wait at all: full jitter");
        assertEquals(List.of(40 * MS + 1, 40 * MS + 1), r.bounds);
    }

    @Test
    void shouldRefuseBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> new Backoff(0, 10, new ScriptedRandom()));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(10, 5, new ScriptedRandom()));
        assertThrows(IllegalArgumentException.class, () -> Backoff.withThreadLocalRandom(10, 20).delayNanos(-1));
    }
}
