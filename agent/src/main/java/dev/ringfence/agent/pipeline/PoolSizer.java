package dev.ringfence.agent.pipeline;

import java.util.function.LongSupplier;

/**
 * Decides a route's in-process pool size from the utilisation sampled every {@code pool.interval}.
 *
 * <p>Above {@value #UP_ABOVE} it grows at once to the size that would have run the sampled load
 * at {@value #TARGET} (at least one worker more); below {@value #DOWN_BELOW} it shrinks towards
 * that size, by at most half per decision (a lull should not cost the whole pool); in between it
 * keeps the size. The gap between the thresholds and the mid-band target is the hysteresis; the
 * cooldown is the second guard: after a change, no change is made until {@code cooldown} has
 * passed. The result is always within {@code [min, max]}: a current size outside it (the settings
 * changed) is brought back at once, cooldown or not.
 *
 * <p>Pure logic: it starts no thread and reads only the injected clock. Not thread-safe: one
 * resizing task owns it.
 */
public final class PoolSizer {
    /** Utilisation above which the pool grows. */
    public static final double UP_ABOVE = 0.80;
    /** Utilisation below which the pool shrinks. */
    public static final double DOWN_BELOW = 0.30;
    /** The utilisation a resize aims for. */
    public static final double TARGET = 0.55;

    private final int min;
    private final int max;
    private final long cooldownNanos;
    private final LongSupplier clock;
    private boolean changed;
    private long lastChangeNanos;

    /**
     * @param min fewest workers (at least 1)
     * @param max most workers (at least {@code min})
     * @param cooldownNanos least time between two changes (0 or more)
     * @param clock nanoseconds
     */
    public PoolSizer(int min, int max, long cooldownNanos, LongSupplier clock) {
        if (min < 1 || max < min || cooldownNanos < 0) {
            throw new IllegalArgumentException("pool sizer needs 1 <= min <= max and cooldown >= 0");
        }
        this.min = min;
        this.max = max;
        this.cooldownNanos = cooldownNanos;
        this.clock = clock;
    }

    /**
     * @param settings {@code pool.min}, {@code pool.max}, {@code pool.cooldown}
     * @param clock nanoseconds
     * @return a sizer for those settings
     */
    public static PoolSizer of(RouteSettings.Pool settings, LongSupplier clock) {
        return new PoolSizer(settings.min(), settings.max(), settings.cooldownNanos(), clock);
    }

    /**
     * Decides the size for the next interval. The first change may come at once; each later one
     * only once {@code cooldown} has passed since the previous change.
     *
     * @param current the pool's size now
     * @param utilisation the share of the interval the current workers were busy: busy time over
     *     {@code current × interval}; above 1 when callers also waited for a worker
     * @return the new size, in {@code [min, max]}; {@code current} when nothing should change
     * @throws IllegalArgumentException when the utilisation is negative or not a number
     */
    public int decide(int current, double utilisation) {
        if (!(utilisation >= 0)) {
            throw new IllegalArgumentException("utilisation must be 0 or more, not " + utilisation);
        }
        long now = clock.getAsLong();
        if (current < min || current > max) {
            return changeTo(current < min ? min : max, now);
        }
        if (changed && now - lastChangeNanos < cooldownNanos) {
            return current;
        }
        double wanted = Math.ceil(current * Math.min(utilisation, max) / TARGET);
        int next = current;
        if (utilisation > UP_ABOVE) {
            next = (int) Math.min(max, Math.max(current + 1.0, wanted));
        } else if (utilisation < DOWN_BELOW) {
            next = (int) Math.max(min, Math.max(wanted, (current + 1) / 2));
        }
        return next == current ? current : changeTo(next, now);
    }

    private int changeTo(int size, long now) {
        changed = true;
        lastChangeNanos = now;
        return size;
    }

    /** @return fewest workers */
    public int min() {
        return min;
    }

    /** @return most workers */
    public int max() {
        return max;
    }
}
