package dev.ringfence.agent.pipeline;

import dev.ringfence.api.Batcher;
import dev.ringfence.limiter.ShareQuota;
import dev.ringfence.loader.HandlerVersion;
import dev.ringfence.loader.HandlerVersions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;

/**
 * One batcher of one handler version ({@code Context.batcher}): items from many invocations,
 * handed to the flush function in one call once {@code defer.batch.size} are pending or the oldest
 * has waited {@code defer.batch.linger}. The flush is deferred work ({@link DeferredWork}): queued
 * under the route's bound, run in this version's sandbox under the {@code defer.*} budgets.
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>{@link #add} may be called from any invocation or deferred task of its version. During an
 *       invocation the item is staged and joins the batch once the invocation is answered; from a
 *       deferred task it joins at once. Outside both it is refused with an
 *       {@link IllegalStateException}.</li>
 *   <li>Each item accepted is in exactly one flush (at most once: a flush that fails is counted,
 *       not retried). Items keep the order they joined in; flushes are queued in the order they were
 *       sealed.</li>
 *   <li>While items are pending the batch holds a lease on its version, so a retired version is
 *       unloaded only after its last batch was flushed. A drain ({@link DeferredWork#close}) seals
 *       every pending batch at once.</li>
 *   <li>Thread-safe: joins, seals and the linger timer are serialised on the batch.</li>
 * </ul>
 *
 * @param <T> the items' type
 */
final class DeferredBatch<T> implements Batcher<T> {
    private final DeferredWork work;
    private final String name;
    private final HandlerVersion version;
    private final Consumer<List<T>> flush;
    private final ShareQuota quota;
    private List<T> pending = new ArrayList<>();
    private HandlerVersions.Lease lease;
    private ScheduledFuture<?> linger;

    /** An item staged by an invocation, waiting for its answer. */
    record Item(DeferredBatch<?> batch, Object item) {
        @SuppressWarnings("unchecked")
        void appendTo(HandlerVersions.Lease source, String requestId) {
            ((DeferredBatch<Object>) batch).append(item, source, requestId);
        }
    }

    DeferredBatch(DeferredWork work, String name, HandlerVersion version, Consumer<List<T>> flush, ShareQuota quota) {
        this.work = work;
        this.name = name;
        this.version = version;
        this.flush = Objects.requireNonNull(flush, "flush");
        this.quota = quota;
    }

    String name() {
        return name;
    }

    HandlerVersion version() {
        return version;
    }

    @Override
    public boolean add(T item) {
        Objects.requireNonNull(item, "item");
        DeferredWork.Scope scope = DeferredWork.SCOPE.get();
        if (scope == null) {
            throw new IllegalStateException("batcher " + name + " takes items only during an invocation or deferred work"
                    + " of its route");
        }
        return scope.add(this, item);
    }

    /**
     * Joins an item to the batch now; seals it when full.
     *
     * @param source a lease on this batch's version, shared when the batch was empty
     * @param requestId the request whose item this is (named when it seals the batch)
     */
    void append(T item, HandlerVersions.Lease source, String requestId) {
        if (source.version() != version) {
            throw new IllegalStateException("batcher " + name + " belongs to another handler version");
        }
        boolean seal;
        synchronized (this) {
            if (pending.isEmpty()) {
                lease = source.share();
                work.pending(this, true);
                linger = work.schedule(this::lingered, work.settings().batchLingerNanos());
            }
            pending.add(item);
            work.batched(1);
            // once a drain has begun no linger fires: what joins then is flushed at once
            seal = pending.size() >= work.settings().batchSize() || work.closed();
        }
        if (seal) {
            flushNow(requestId);
        }
    }

    private void lingered() {
        flushNow(null);
    }

    /**
     * Seals what is pending (if anything) and queues its flush; a flush the queue refuses is
     * counted with its items and logged.
     *
     * @param requestId the request whose item filled it, or null (linger, drain)
     */
    void flushNow(String requestId) {
        List<T> items;
        HandlerVersions.Lease l;
        synchronized (this) {
            if (pending.isEmpty()) {
                return;
            }
            items = Collections.unmodifiableList(pending);
            pending = new ArrayList<>();
            l = lease;
            lease = null;
            if (linger != null) {
                linger.cancel(false);
                linger = null;
            }
            work.pending(this, false);
            work.batched(-items.size());
        }
        work.stats().countBatch(items.size());
        if (work.closed()) {
            work.reserveForDrain();
        } else if (!work.reserve()) {
            try {
                work.refused(version, requestId, "batch", name, items.size());
            } finally {
                l.close();
            }
            return;
        }
        work.submit(work.new Piece(version, l, requestId, "batch", name, items.size(), quota, () -> {
            flush.accept(items);
            return null;
        }));
    }
}
