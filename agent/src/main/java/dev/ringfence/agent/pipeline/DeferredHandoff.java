package dev.ringfence.agent.pipeline;

import dev.ringfence.limiter.ShareQuota;
import dev.ringfence.loader.HandlerVersion;
import dev.ringfence.loader.HandlerVersions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A request's staging area for deferred work ({@link DeferredWork}): what its handler defers or adds
 * to a batcher waits here until the request is answered, then {@link #release} queues it.
 *
 * <p>Thread-safe: the handler's thread stages (possibly a thread the request was answered without,
 * when it was abandoned: what it stages after the answer is queued at once), the answering thread
 * releases, once.
 */
final class DeferredHandoff {
    private final DeferredWork work;
    private final String requestId;
    private final ShareQuota quota;
    private List<DeferredWork.Piece> staged;
    private List<DeferredBatch.Item> items;
    private HandlerVersions.Lease itemLease;
    private boolean released;

    DeferredHandoff(DeferredWork work, String requestId, ShareQuota quota) {
        this.work = work;
        this.requestId = requestId;
        this.quota = quota;
    }

    DeferredWork work() {
        return work;
    }

    /**
     * The {@code Context.defer} of one attempt.
     *
     * @return whether the task was accepted
     */
    boolean defer(Runnable task, HandlerVersions.Lease attempt, HandlerVersion v) {
        Objects.requireNonNull(task, "task");
        if (DeferredWork.SCOPE.get() instanceof DeferredWork.Piece) {
            // deferred work deferring more would let one request feed the queue for ever
            work.refused(v, requestId, "task", null, 0, "deferred work cannot defer more work");
            return false;
        }
        if (!work.reserve()) {
            work.refused(v, requestId, "task", null, 0);
            return false;
        }
        HandlerVersions.Lease own;
        try {
            own = attempt.share();
        } catch (IllegalStateException e) {
            work.unreserve();
            work.refused(v, requestId, "task", null, 0, "the invocation had ended (its thread was abandoned)");
            return false;
        }
        DeferredWork.Piece p = work.new Piece(v, own, requestId, "task", null, 0, quota, () -> {
            task.run();
            return null;
        });
        synchronized (this) {
            if (!released) {
                if (staged == null) {
                    staged = new ArrayList<>(2);
                }
                staged.add(p);
                work.staged(1);
                return true;
            }
        }
        work.submit(p); // answered already: nothing to wait for
        return true;
    }

    /** Stages a batch item; false when it was refused (counted). */
    <T> boolean add(DeferredBatch<T> batch, T item, HandlerVersions.Lease attempt) {
        Objects.requireNonNull(item, "item");
        if (work.full()) {
            work.refused(batch.version(), requestId, "batch", batch.name(), 1);
            return false;
        }
        synchronized (this) {
            if (!released) {
                if (itemLease == null) {
                    try {
                        itemLease = attempt.share();
                    } catch (IllegalStateException e) {
                        work.refused(batch.version(), requestId, "batch", batch.name(), 1);
                        return false;
                    }
                    items = new ArrayList<>(4);
                }
                RouteSettings.Defer d = work.settings();
                if (items.size() >= (long) d.maxQueue() * d.batchSize()) {
                    // more than the queue could ever carry as flushes: a bound on what one request stages
                    work.refused(batch.version(), requestId, "batch", batch.name(), 1, "request " + requestId
                            + " staged " + items.size() + " items, defer.maxQueue x defer.batch.size");
                    return false;
                }
                items.add(new DeferredBatch.Item(batch, item));
                return true;
            }
        }
        try (HandlerVersions.Lease l = attempt.share()) {
            batch.append(item, l, requestId);
            return true;
        } catch (IllegalStateException e) {
            work.refused(batch.version(), requestId, "batch", batch.name(), 1);
            return false;
        }
    }

    /** @return tasks staged and not yet released (0 once released) */
    synchronized int stagedTasks() {
        return staged == null ? 0 : staged.size();
    }

    /** @return batch items staged and not yet released (0 once released) */
    synchronized int stagedItems() {
        return items == null ? 0 : items.size();
    }

    /** Queues what was staged: called once the request has been answered, whatever its outcome. */
    void release() {
        List<DeferredWork.Piece> ps;
        List<DeferredBatch.Item> is;
        HandlerVersions.Lease l;
        synchronized (this) {
            if (released) {
                return;
            }
            released = true;
            ps = staged;
            is = items;
            l = itemLease;
            staged = null;
            items = null;
            itemLease = null;
        }
        if (ps != null) {
            work.staged(-ps.size());
            ps.forEach(work::submit);
        }
        if (is != null) {
            try {
                for (DeferredBatch.Item i : is) {
                    i.appendTo(l, requestId);
                }
            } finally {
                l.close();
            }
        }
    }

    /**
     * What one attempt of a request offers its handler's context: {@code defer} and batchers,
     * staged in the request's {@link DeferredHandoff}, under the attempt's lease.
     */
    static final class Attempt implements DeferredWork.Scope {
        private final DeferredHandoff handoff;
        private final HandlerVersions.Lease lease;
        private final HandlerVersion version;
        private final Map<String, DeferredBatch<?>> batchers;

        /** Made while {@code lease} is open (the attempt's start); it may close before the handler's thread is done. */
        Attempt(DeferredHandoff handoff, HandlerVersions.Lease lease, Map<String, DeferredBatch<?>> batchers) {
            this.handoff = handoff;
            this.lease = lease;
            this.version = lease.version();
            this.batchers = batchers;
        }

        boolean defer(Runnable task) {
            return handoff.defer(task, lease, version);
        }

        @SuppressWarnings("unchecked")
        <T> DeferredBatch<T> batcher(String name, Consumer<List<T>> flush) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a batcher needs a name");
            }
            Objects.requireNonNull(flush, "flush");
            DeferredWork work = handoff.work();
            return (DeferredBatch<T>) batchers.computeIfAbsent(name,
                    n -> new DeferredBatch<>(work, n, version, flush, handoff.quota));
        }

        @Override
        public <T> boolean add(DeferredBatch<T> batch, T item) {
            return handoff.add(batch, item, lease);
        }
    }
}
