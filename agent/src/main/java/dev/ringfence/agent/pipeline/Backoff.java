package dev.ringfence.agent.pipeline;

import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter: before retry {@code n} (0 for the first retry) wait a
 * uniformly random time in {@code [0, min(cap, base·2^n)]}. Spreading retries over the whole
 * interval, rather than around its end, keeps clients that failed together from retrying together.
 *
 * <p>Thread-safe when its random source is; the default one is {@link ThreadLocalRandom}, asked
 * on the calling thread. Allocates nothing.
 */
public final class Backoff {
    /** Draws from the calling thread's {@link ThreadLocalRandom}. */
    private static final RandomGenerator THREAD_LOCAL = new RandomGenerator() {
        @Override
        public long nextLong() {
            return ThreadLocalRandom.current().nextLong();
        }

        @Override
        public long nextLong(long bound) {
            return ThreadLocalRandom.current().nextLong(bound);
        }
    };

    private final long baseNanos;
    private final long capNanos;
    private final RandomGenerator random;

    /**
     * @param baseNanos the first retry's ceiling (more than 0)
     * @param capNanos the largest ceiling (at least {@code baseNanos})
     * @param random where the jitter comes from; {@link RandomGenerator#nextLong(long)} is the only method used
     */
    public Backoff(long baseNanos, long capNanos, RandomGenerator random) {
        if (baseNanos <= 0 || capNanos < baseNanos) {
            throw new IllegalArgumentException("backoff needs base > 0 and cap >= base");
        }
        this.baseNanos = baseNanos;
        this.capNanos = capNanos;
        this.random = random;
    }

    /**
     * @param baseNanos the first retry's ceiling (more than 0)
     * @param capNanos the largest ceiling (at least {@code baseNanos})
     * @return a backoff drawing from {@link ThreadLocalRandom}
     */
    public static Backoff withThreadLocalRandom(long baseNanos, long capNanos) {
        return new Backoff(baseNanos, capNanos, THREAD_LOCAL);
    }

    /**
     * The ceiling of the wait before a retry: {@code min(cap, base·2^retry)}, without overflow.
     *
     * @param retry 0 for the first retry
     * @return nanoseconds
     */
    public long ceilingNanos(int retry) {
        if (retry < 0) {
            throw new IllegalArgumentException("retry must be 0 or more, not " + retry);
        }
        if (retry >= Long.numberOfLeadingZeros(baseNanos) - 1) {
            return capNanos; // base·2^retry would not fit in a long
        }
        return Math.min(capNanos, baseNanos << retry);
    }

    /**
     * Draws the wait before a retry.
     *
     * @param retry 0 for the first retry
     * @return nanoseconds in {@code [0, ceilingNanos(retry)]}
     */
    public long delayNanos(int retry) {
        long ceiling = ceilingNanos(retry);
        return ceiling == Long.MAX_VALUE ? random.nextLong(ceiling) : random.nextLong(ceiling + 1);
    }
}
