package dev.ringfence.api;

/**
 * A route-level batch sink (phase 2): collects items from many invocations and hands them to
 * one call of the flush function its handler gave {@link Context#batcher}, once
 * {@code defer.batch.size} items are pending or the oldest has waited {@code defer.batch.linger}.
 * Obtained from {@link Context#batcher}; the sandbox implements it.
 *
 * <p>Guarantees: an item added during an invocation joins the batch only once that invocation has
 * been answered (like {@link Context#defer}), so no flush sees it before its response was sent.
 * Each accepted item is handed to exactly one flush call, at most once: a flush that throws or
 * trips its budget is not retried (its items are counted as failed). Items are flushed in the
 * order their invocations were answered; two flushes of one batcher may overlap when the route has
 * more than one deferred worker. On route removal or server shutdown pending items are flushed at
 * once, within the drain bound.
 *
 * @param <T> the items' type
 */
public interface Batcher<T> {
    /**
     * Adds one item to the batch: during an invocation it joins once the invocation is answered;
     * from deferred work of the same handler version (a task, a flush) it joins at once.
     *
     * @param item the item (not null)
     * @return true when the item was accepted; false when it was refused and counted (the route's
     *     deferred queue is full, or the route is shutting down)
     * @throws NullPointerException on a null item
     * @throws IllegalStateException when called outside an invocation or deferred work of its route
     *     (a thread of the handler's own, say)
     */
    boolean add(T item);
}
