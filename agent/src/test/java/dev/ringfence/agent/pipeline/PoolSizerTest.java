package dev.ringfence.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PoolSizerTest {
    private static final long COOLDOWN = 30_000_000_000L;

    private final ManualClock clock = new ManualClock(0);
    private final PoolSizer sizer = new PoolSizer(2, 16, COOLDOWN, clock);

    @Test
    void shouldGrowAboveEightyPercentToTheSizeThatWouldRunTheLoadAtTheTarget() {
        assertEquals(7, sizer.decide(4, 0.9), "4 workers 90 % busy is 3.6 workers of load; at 55 % that is 7");
    }

    @Test
    void shouldGrowNoFurtherThanMax() {
        assertEquals(16, sizer.decide(12, 1.5));
    }

    @Test
    void shouldShrinkBelowThirtyPercentByAtMostHalf() {
        assertEquals(8, sizer.decide(16, 0.0));
        clock.advance(COOLDOWN);
        assertEquals(4, sizer.decide(8, 0.25), "8 workers 25 % busy is 2 workers of load; at 55 % that is 4");
    }

    @Test
    void shouldShrinkNoFurtherThanMin() {
        assertEquals(2, sizer.decide(3, 0.0));
        clock.advance(COOLDOWN);
        assertEquals(2, sizer.decide(2, 0.0));
    }

    @Test
    void shouldKeepTheSizeBetweenThirtyAndEightyPercent() {
        assertEquals(8, sizer.decide(8, 0.30));
        assertEquals(8, sizer.decide(8, 0.55));
        assertEquals(8, sizer.decide(8, 0.80));
    }

    @Test
    void shouldMakeNoChangeWithinTheCooldownOfTheLastOne() {
        assertEquals(7, sizer.decide(4, 0.9));
        clock.advance(COOLDOWN - 1);
        assertEquals(7, sizer.decide(7, 1.0));
        assertEquals(7, sizer.decide(7, 0.0));
        clock.advance(1);
        assertEquals(13, sizer.decide(7, 1.0));
    }

    @Test
    void shouldNotStartTheCooldownWhenNothingChanged() {
        assertEquals(8, sizer.decide(8, 0.5));
        assertEquals(15, sizer.decide(8, 1.0), "keeping the size is not a change");
    }

    @Test
    void shouldBringAnOutOfRangeSizeBackAtOnce() {
        assertEquals(7, sizer.decide(4, 0.9));
        assertEquals(16, sizer.decide(40, 0.5), "within the cooldown, but outside [min, max]");
        assertEquals(2, sizer.decide(0, 0.5));
    }

    @Test
    void shouldRefuseAUtilisationThatIsNotANumber() {
        assertThrows(IllegalArgumentException.class, () -> sizer.decide(4, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> sizer.decide(4, -0.1));
        assertThrows(IllegalArgumentException.class, () -> new PoolSizer(3, 2, 0, clock));
    }

    @Test
    void shouldTakeItsSettingsFromTheRoute() {
        PoolSizer s = PoolSizer.of(new RouteSettings.Pool(1, 3, 10, 5), clock);
        assertEquals(1, s.min());
        assertEquals(3, s.max());
        assertEquals(2, s.decide(1, 1.0));
        clock.advance(4);
        assertEquals(2, s.decide(2, 0.0), "within pool.cooldown");
        clock.advance(1);
        assertEquals(1, s.decide(2, 0.0));
    }
}
