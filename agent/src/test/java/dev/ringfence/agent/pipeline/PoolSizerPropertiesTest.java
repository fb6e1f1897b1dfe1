package dev.ringfence.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

class PoolSizerPropertiesTest {
    /** One sample: how much time passed since the last, and how busy the pool was. */
    record Sample(long elapsedNanos, double utilisation) {
    }

    @Provide
    Arbitrary<Sample> sample() {
        return Combinators.combine(Arbitraries.longs().between(0, 20_000_000_000L),
                Arbitraries.oneOf(Arbitraries.doubles().between(0, 2), Arbitraries.of(0.0, 0.3, 0.8, 1.0, 50.0)))
                .as(Sample::new);
    }

    @Property(tries = 500)
    void neverLeavesMinMaxNorChangesWithinTheCooldown(@ForAll @IntRange(min = 1, max = 20) int min,
            @ForAll @IntRange(min = 0, max = 40) int extra, @ForAll @LongRange(min = 0, max = 60_000_000_000L) long cooldown,
            @ForAll @Size(min = 1, max = 60) List<@net.jqwik.api.From("sample") Sample> samples) {
        int max = min + extra;
        ManualClock clock = new ManualClock(Long.MAX_VALUE - 100_000_000_000L); // crosses the wrap of nanoTime
        PoolSizer sizer = new PoolSizer(min, max, cooldown, clock);
        int size = min;
        Long lastChange = null;
        for (Sample s : samples) {
            clock.advance(s.elapsedNanos());
            int next = sizer.decide(size, s.utilisation());
            assertTrue(next >= min && next <= max, next + " outside [" + min + ", " + max + "]");
            if (next != size) {
                long since = lastChange == null ? Long.MAX_VALUE : clock.getAsLong() - lastChange;
                assertTrue(since >= cooldown, "changed " + since + " ns after the last change, cooldown " + cooldown);
                lastChange = clock.getAsLong();
            }
            size = next;
        }
    }

    @Property(tries = 1000)
    void movesOnlyInTheDirectionTheUtilisationCallsFor(@ForAll @IntRange(min = 1, max = 20) int min,
            @ForAll @IntRange(min = 0, max = 40) int extra, @ForAll @IntRange(min = 0, max = 40) int offset,
            @ForAll("sample") Sample s) {
        int max = min + extra;
        int current = min + Math.min(offset, extra);
        int next = new PoolSizer(min, max, 0, new ManualClock(0)).decide(current, s.utilisation());
        if (s.utilisation() > PoolSizer.UP_ABOVE) {
            assertEquals(Math.min(max, Math.max(current + 1, next)), next, "grows by at least one unless at max");
        } else if (s.utilisation() < PoolSizer.DOWN_BELOW) {
            assertTrue(next <= current && next >= Math.max(min, (current + 1) / 2), "shrinks by at most half");
        } else {
            assertEquals(current, next);
        }
    }

    @Property(tries = 500)
    void bringsAnySizeIntoMinMax(@ForAll @IntRange(min = 1, max = 20) int min, @ForAll @IntRange(min = 0, max = 40) int extra,
            @ForAll @IntRange(min = -5, max = 100) int current, @ForAll("sample") Sample s) {
        int max = min + extra;
        ManualClock clock = new ManualClock(0);
        PoolSizer sizer = new PoolSizer(min, max, Long.MAX_VALUE, clock);
        sizer.decide(min, 1.0); // a change: the cooldown (forever) now runs
        int next = sizer.decide(current, s.utilisation());
        assertTrue(next >= min && next <= max);
        if (current >= min && current <= max) {
            assertEquals(current, next, "within the cooldown an in-range size stays");
        }
    }
}
