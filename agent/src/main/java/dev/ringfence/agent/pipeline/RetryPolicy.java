package dev.ringfence.agent.pipeline;

import dev.ringfence.api.Outcome;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Decides whether a failed attempt is tried again, and after how long.
 *
 * <p>A retry is scheduled only when all of these hold: the outcome is retryable ({@link #DEFAULT_RETRYABLE}:
 * {@code ERROR} and {@code CRASHED}); the handler had not started running, or the route is
 * idempotent (running it twice must be harmless); fewer than {@code max} retries were made; and
 * the attempt would start before the deadline, backoff included. Budget outcomes and {@code DENIED}
 * are not retried by default (the same input trips them again), nor are {@code REJECTED} and
 * {@code CIRCUIT_OPEN} (retrying into an overloaded or failing route only adds load), nor
 * {@code TIMEOUT} (the deadline is spent).
 *
 * <p>Immutable; thread-safe when its {@link Backoff} is. Allocates nothing.
 */
public final class RetryPolicy {
    /** What {@link #delayBeforeRetry} returns when the attempt is not retried. */
    public static final long NO_RETRY = -1L;

    /** The outcomes that may be retried by default. */
    public static final Set<Outcome> DEFAULT_RETRYABLE = Collections.unmodifiableSet(EnumSet.of(Outcome.ERROR, Outcome.CRASHED));

    private final int max;
    private final boolean idempotent;
    private final Backoff backoff;
    private final boolean[] retryable = new boolean[Outcome.values().length];

    /**
     * @param max retries after the first attempt (0 or more)
     * @param idempotent whether failures after the handler started may be retried
     * @param backoff the waits between attempts
     * @param retryableOutcomes the outcomes that may be retried ({@code OK} may not)
     */
    public RetryPolicy(int max, boolean idempotent, Backoff backoff, Set<Outcome> retryableOutcomes) {
        if (max < 0) {
            throw new IllegalArgumentException("max retries must be 0 or more, not " + max);
        }
        if (retryableOutcomes.contains(Outcome.OK)) {
            throw new IllegalArgumentException("OK is not a failure to retry");
        }
        this.max = max;
        this.idempotent = idempotent;
        this.backoff = backoff;
        for (Outcome o : retryableOutcomes) {
            retryable[o.ordinal()] = true;
        }
    }

    /**
     * @param settings {@code retry.max}, {@code retry.base}, {@code retry.cap}, {@code idempotent}
     * @return a policy retrying {@link #DEFAULT_RETRYABLE} with thread-local jitter
     */
    public static RetryPolicy of(RouteSettings.Retry settings) {
        return new RetryPolicy(settings.max(), settings.idempotent(),
                Backoff.withThreadLocalRandom(settings.baseNanos(), settings.capNanos()), DEFAULT_RETRYABLE);
    }

    /**
     * Decides about a failed attempt.
     *
     * @param retriesDone retries already made (0 after the first attempt)
     * @param outcome how the attempt ended
     * @param handlerStarted whether the handler's code had started running (a failure to reach a
     *     worker, to load the version or to start a child process happens before)
     * @param nowNanos the current instant
     * @param deadlineNanos the request's deadline, on the same clock
     * @return nanoseconds to wait before the next attempt, or {@link #NO_RETRY}
     */
    public long delayBeforeRetry(int retriesDone, Outcome outcome, boolean handlerStarted, long nowNanos,
            long deadlineNanos) {
        if (retriesDone >= max || !retryable[outcome.ordinal()] || (handlerStarted && !idempotent)) {
            return NO_RETRY;
        }
        long delay = backoff.delayNanos(retriesDone);
        if (deadlineNanos - nowNanos <= delay) {
            return NO_RETRY; // the retry would start at or after the deadline
        }
        return delay;
    }

    /** @return retries after the first attempt */
    public int max() {
        return max;
    }

    /** @return whether failures after the handler started are retried */
    public boolean idempotent() {
        return idempotent;
    }
}
