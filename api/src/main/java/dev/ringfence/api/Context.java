package dev.ringfence.api;

import java.util.List;
import java.util.function.Consumer;

/**
 * What a handler knows of its invocation. Supplied by the sandbox; handlers do not implement it.
 */
public interface Context {
    /**
     * The request id, the same as {@link Request#requestId()}.
     *
     * @return the request id
     */
    String requestId();

    /**
     * Time left before the wall-clock deadline.
     *
     * @return nanoseconds left, {@link Long#MAX_VALUE} when there is no deadline, never negative
     */
    long remainingNanos();

    /**
     * Time left before the wall-clock deadline, in milliseconds.
     *
     * @return milliseconds left, {@link Long#MAX_VALUE} when there is no deadline
     */
    default long remainingMillis() {
        long nanos = remainingNanos();
        return nanos == Long.MAX_VALUE ? Long.MAX_VALUE : nanos / 1_000_000L;
    }

    /**
     * The budgets in force for this invocation.
     *
     * @return the budgets
     */
    Budgets budgets();

    /**
     * The invocation's logger; lines carry the route and request id.
     *
     * @return the logger
     */
    Logger logger();

    /**
     * Hands work to run after this invocation's response has been sent (phase 2): on the route's
     * sandbox workers, in this handler version's sandbox (its class loader, policy and metering),
     * under the route's deferred budgets ({@code defer.timeout}, {@code defer.cpu},
     * {@code defer.alloc}) rather than this invocation's. The response never waits for it.
     *
     * <p>Guarantees: a task accepted here is run once, whatever happens to the invocation
     * afterwards — the handler failing or timing out later, the caller disconnecting or giving up —
     * unless the route is removed or the server stops and the task has not started within the drain
     * bound ({@code defer.drain}); that is counted and logged as {@code DROPPED}. A task that throws
     * or trips a budget is not retried. Tasks start in the order they were accepted when the route
     * has one deferred worker ({@code defer.workers}); with more they may overlap. The handler
     * version stays loaded until its deferred tasks have ended.
     *
     * @param task the work; it runs on another thread, so it must not use this context's
     *     {@link #remainingNanos()} (it has its own deadline)
     * @return true when the task was accepted; false when it was refused because the route's
     *     deferred queue ({@code defer.maxQueue}) is full, the route is shutting down, or the call
     *     came from deferred work itself (which may not defer more) — the refusal is counted in the
     *     route's metrics and logged, never silent
     * @throws NullPointerException on a null task
     * @throws UnsupportedOperationException where this runtime offers no deferred work (outside
     *     a served route, such as the {@code invoke} command; on the process tier it runs in the
     *     route's child JVM, after the response frame was sent)
     */
    default boolean defer(Runnable task) {
        throw new UnsupportedOperationException("deferred work is not available here");
    }

    /**
     * The route's batch sink of this name for this handler version, created on first use with
     * {@code flush} as its flush function. Later calls with the same name from the same version
     * return the same batcher and ignore their {@code flush}; another version (after a reload)
     * gets its own, so a flush always runs in the sandbox of the version that registered it, under
     * the deferred budgets, after the responses of the invocations whose items it carries.
     *
     * @param name the batcher's name within the route (not blank)
     * @param flush takes a batch of items: a list of at least one, in the order they were added
     * @param <T> the items' type; every caller of one name must use the same one
     * @return the batcher
     * @throws IllegalArgumentException on a blank name
     * @throws UnsupportedOperationException where this runtime offers no deferred work
     */
    default <T> Batcher<T> batcher(String name, Consumer<List<T>> flush) {
        throw new UnsupportedOperationException("deferred work is not available here");
    }

    /** A line logger owned by the sandbox. Messages are plain strings, never evaluated later. */
    interface Logger {
        /**
         * Logs an informational line.
         *
         * @param message the line
         */
        void info(String message);

        /**
         * Logs a warning.
         *
         * @param message the line
         */
        void warn(String message);
    }
}
