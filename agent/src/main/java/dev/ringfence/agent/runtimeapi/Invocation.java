package dev.ringfence.agent.runtimeapi;

import dev.ringfence.api.Outcome;
import dev.ringfence.api.Response;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One invocation on its way through a provided runtime: queued, taken by one environment, answered.
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>It is taken by at most one environment, and only while it is still queued: {@link #take}
 *       and {@link #cancel} race on one reference, and exactly one of them wins.</li>
 *   <li>It is answered once: the first {@link #answer} wins (the function's answer, a crash, or the
 *       deadline); later ones are ignored and say so.</li>
 * </ul>
 */
final class Invocation {
    /** What {@link #holder} holds once the invocation was cancelled before any environment took it. */
    private static final Object CANCELLED = new Object();

    /**
     * How an invocation ended.
     *
     * @param outcome {@code OK}, {@code ERROR}, {@code TIMEOUT} or {@code CRASHED}
     * @param response the mapped result for {@code OK}, else null
     * @param message why it did not end {@code OK}, else null
     */
    record Answer(Outcome outcome, Response response, String message) {
    }

    final String awsRequestId;
    final byte[] event;
    final long deadlineEpochMillis;
    final String traceId;
    private final AtomicReference<Object> holder = new AtomicReference<>();
    private final CompletableFuture<Answer> answer = new CompletableFuture<>();

    Invocation(String awsRequestId, byte[] event, long deadlineEpochMillis, String traceId) {
        this.awsRequestId = awsRequestId;
        this.event = event;
        this.deadlineEpochMillis = deadlineEpochMillis;
        this.traceId = traceId;
    }

    /** @return whether this environment now holds it (false when it was cancelled or taken) */
    boolean take(Environment e) {
        return holder.compareAndSet(null, e);
    }

    /** Puts a taken invocation back, so another environment may take it (its taker died before it saw it). */
    void untake(Environment e) {
        holder.compareAndSet(e, null);
    }

    /** @return whether it was still queued, and now never will be taken */
    boolean cancel() {
        return holder.compareAndSet(null, CANCELLED);
    }

    /** @return whether it is still waiting to be taken (neither taken nor cancelled) */
    boolean queued() {
        return holder.get() == null;
    }

    /** @return the environment that took it, or null */
    Environment taker() {
        Object h = holder.get();
        return h instanceof Environment ? (Environment) h : null;
    }

    /** @return whether this answer was the first */
    boolean answer(Answer a) {
        return answer.complete(a);
    }

    /** @return whether it has been answered */
    boolean answered() {
        return answer.isDone();
    }

    /**
     * Waits for the answer.
     *
     * @param nanos the longest wait
     * @return the answer, or null when none came in time
     * @throws InterruptedException when interrupted while waiting
     */
    Answer await(long nanos) throws InterruptedException {
        try {
            return answer.get(Math.max(0, nanos), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause()); // never completed exceptionally
        }
    }

    /** @return the answer given, once {@link #answered()} */
    Answer answerNow() {
        return answer.getNow(null);
    }
}
