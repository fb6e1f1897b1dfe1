package dev.ringfence.agent.pipeline;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import dev.ringfence.jfr.RingfenceEvents;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.RunResult;
import dev.ringfence.limiter.ShareQuota;
import dev.ringfence.loader.HandlerVersion;
import dev.ringfence.loader.HandlerVersions;
import java.util.ArrayList;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * One route's deferred work (phase 2): the tasks its handlers hand to {@code Context.defer} and
 * the flushes of its batchers ({@link DeferredBatch}), run after the responses on the sandbox
 * workers, each in the sandbox of the handler version that deferred it, under the route's
 * {@code defer.*} budgets.
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>Phase 2 never blocks phase 1: a request's deferred tasks and batch items are staged in its
 *       {@link DeferredHandoff} and queued only after the request has been answered
 *       ({@link DeferredHandoff#release}); a handler's {@code defer} call only counts, allocates and
 *       stages. Nothing staged is visible to any flush before that answer.</li>
 *   <li>Bounded: pieces accepted and not yet started (staged ones included) are at most
 *       {@code defer.maxQueue}; a piece beyond it is refused — {@code defer} returns false, the
 *       refusal is counted ({@link DeferredStats#rejected()}), emitted as a
 *       {@code ringfence.Deferred} event with outcome {@code REJECTED} and logged
 *       ({@code deferred-rejected}: at most one line a second per route, which counts the refusals
 *       since the previous line, so an overloaded route does not flood the log).</li>
 *   <li>Nothing accepted is lost silently: every piece accepted ends once, as an
 *       {@link Outcome} (run under {@link MeteredExecutor#run}, which answers even when its thread
 *       never returns) or as {@code DROPPED} (not started before a drain's bound); failures and
 *       drops are counted, logged and emitted.</li>
 *   <li>The request's deadline and its caller do not reach deferred work: it runs under its own
 *       budgets on this class's own host threads ({@code defer.workers} of them, started on demand
 *       and ended when idle), which call {@link MeteredExecutor#run}.</li>
 *   <li>A piece holds a lease on its version from acceptance to its end, so the version is not
 *       retired (nor its loader unloaded) before its deferred work has ended.</li>
 *   <li>{@link #close} starts a drain and returns: queued pieces may start for {@code defer.drain}
 *       more (a piece started then gets no more wall time than what is left of it); later ones are
 *       dropped; pending batches are flushed at once. {@link #awaitDrained} waits for the end.</li>
 *   <li>On the process tier the same class runs inside the child ({@link ChildRoute}), which
 *       forwards every piece's end to the host ({@link Ended}); the host's instance of the route
 *       counts and emits what its children report ({@link #fromChild}, {@link #lostInChild}) and
 *       waits for their drains ({@link #childDraining}) as for its own.</li>
 * </ul>
 */
public final class DeferredWork {
    /** The outcome of deferred work refused a queue place. */
    public static final String REJECTED = "REJECTED";
    /** The outcome of deferred work not started before a drain's bound passed. */
    public static final String DROPPED = "DROPPED";

    /**
     * Where a batcher's {@code add} puts an item: the invocation or deferred piece running on this
     * thread, set around the handler's call and a piece's body, unset elsewhere.
     */
    static final ThreadLocal<Scope> SCOPE = new ThreadLocal<>();

    /**
     * How one piece of deferred work ended, or why it was refused: what a child reports to its host.
     *
     * @param version the handler version's short id
     * @param requestId the request that deferred it (or filled the batch), or null
     * @param kind {@code task} or {@code batch}
     * @param batch the batcher's name, or null for a task
     * @param items the batch items it carried (0 for a task)
     * @param outcome an {@link Outcome} name, {@link #DROPPED} or {@link #REJECTED}
     * @param lagNanos from hand-over to start (0 unless it ran)
     * @param wallNanos its wall time
     * @param cpuNanos its CPU time
     * @param allocatedBytes what it allocated
     * @param abandoned whether its thread was left behind after a trip
     * @param message why it failed, was dropped or refused, or null
     */
    public record Ended(String version, String requestId, String kind, String batch, int items, String outcome,
            long lagNanos, long wallNanos, long cpuNanos, long allocatedBytes, boolean abandoned, String message) {
    }

    /** What a batch item joins through: an invocation's attempt (staged) or a running piece (at once). */
    interface Scope {
        /**
         * Adds an item to a batch of the version this scope runs.
         *
         * @param batch the batch
         * @param item the item
         * @param <T> the items' type
         * @return whether the item was accepted
         */
        <T> boolean add(DeferredBatch<T> batch, T item);
    }

    /** At most one {@code deferred-rejected} line this often per route. */
    private static final long REFUSAL_LINE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String route;
    private final MeteredExecutor executor;
    private final AtomicLong lastRefusalLine = new AtomicLong(System.nanoTime() - REFUSAL_LINE_NANOS);
    private final LongAdder refusedUnlogged = new LongAdder();
    private final EventLog log;
    private final Runnable onAbandoned;
    private final DeferredStats stats = new DeferredStats();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private final ThreadPoolExecutor workers;
    private final Set<DeferredBatch<?>> pendingBatches = ConcurrentHashMap.newKeySet();
    /** Pieces staged in requests not yet answered (counted in {@link #queued} too). */
    private final AtomicInteger staged = new AtomicInteger();
    /** Batch items joined to a batch and not yet sealed into a flush. */
    private final AtomicInteger batchedItems = new AtomicInteger();
    /** Children of the route stopping with deferred work: their exits, for {@link #awaitDrained}. */
    private final Set<CompletableFuture<?>> childDrains = ConcurrentHashMap.newKeySet();
    /** Inside a child: where each piece's end goes (to the host), else null. */
    private volatile Consumer<Ended> forward;
    private volatile RouteSettings.Defer settings = RouteSettings.Defer.DEFAULT;
    private volatile ScheduledThreadPoolExecutor timer;
    private volatile boolean closed;
    private volatile long drainBy;

    /**
     * @param route the route's name
     * @param executor the sandbox workers
     * @param log where refusals, failures and drops are logged
     * @param onAbandoned told of each sandbox worker a piece left behind (it did not stop after a trip)
     */
    DeferredWork(String route, MeteredExecutor executor, EventLog log, Runnable onAbandoned) {
        this.route = route;
        this.executor = executor;
        this.log = log;
        this.onAbandoned = onAbandoned;
        AtomicInteger serial = new AtomicInteger();
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, "ringfence-deferred-" + route + "-" + serial.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        RouteSettings.Defer d = settings;
        this.workers = new ThreadPoolExecutor(d.workers(), d.workers(), 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                threads);
        workers.allowCoreThreadTimeOut(true);
    }

    /** Takes a route's (new) settings: budgets and bounds apply to pieces starting from now. */
    synchronized void configure(RouteSettings.Defer d) {
        Objects.requireNonNull(d, "defer");
        if (d.workers() > workers.getMaximumPoolSize()) {
            workers.setMaximumPoolSize(d.workers());
            workers.setCorePoolSize(d.workers());
        } else {
            workers.setCorePoolSize(d.workers());
            workers.setMaximumPoolSize(d.workers());
        }
        settings = d;
    }

    RouteSettings.Defer settings() {
        return settings;
    }

    /**
     * A request's staging area: what its handler defers waits here until it is answered.
     *
     * @param requestId the request's id
     * @param quota the route's CPU quota, which deferred work shares, or null
     * @return the hand-off; {@link DeferredHandoff#release} it once the request is answered
     */
    DeferredHandoff handoff(String requestId, ShareQuota quota) {
        return new DeferredHandoff(this, requestId, quota);
    }

    /** @return what deferred work has done */
    public DeferredStats stats() {
        return stats;
    }

    /** @return pieces accepted and not yet started (staged in requests not yet answered included) */
    public int queued() {
        return queued.get();
    }

    /** @return pieces running now */
    public int running() {
        return running.get();
    }

    /** @return whether a drain has begun (the route was removed or the server is stopping) */
    public boolean closed() {
        return closed;
    }

    /** Reserves a queue place; false (nothing reserved) when full or closed. */
    boolean reserve() {
        if (closed) {
            return false;
        }
        if (queued.incrementAndGet() > settings.maxQueue()) {
            queued.decrementAndGet();
            return false;
        }
        return true;
    }

    /**
     * Reserves a queue place for a drain's flush, beyond the bound: a drain seals every pending
     * batch once, so this adds at most one place per batcher.
     */
    void reserveForDrain() {
        queued.incrementAndGet();
    }

    /** Gives back a place {@link #reserve} took for a piece that will not be queued. */
    void unreserve() {
        queued.decrementAndGet();
    }

    /** @return whether a piece would be refused now (closed or the queue full), without reserving */
    boolean full() {
        return closed || queued.get() >= settings.maxQueue();
    }

    /** Counts, logs and emits a piece refused a queue place. */
    void refused(HandlerVersion version, String requestId, String kind, String batch, int items) {
        refused(version, requestId, kind, batch, items, closed ? "route " + route + " is shutting down"
                : "the deferred queue of route " + route + " is full (defer.maxQueue=" + settings.maxQueue() + ")");
    }

    /** Emits, logs (at most a line a second) and counts a piece refused, saying why. */
    void refused(HandlerVersion version, String requestId, String kind, String batch, int items, String why) {
        Ended e = new Ended(version.shortId(), requestId, kind, batch, items, REJECTED, 0, 0, 0, 0, false, why);
        emit(e);
        // an overloaded route refuses on every request: one line a second, counting the others
        long now = System.nanoTime();
        long last = lastRefusalLine.get();
        if (now - last < REFUSAL_LINE_NANOS || !lastRefusalLine.compareAndSet(last, now)) {
            refusedUnlogged.increment();
        } else {
            log.emit(log.line("deferred-rejected").put("route", route).put("version", version.shortId())
                    .put("requestId", requestId).put("kind", kind).put("batch", batch).put("items", items)
                    .put("unloggedSinceLastLine", refusedUnlogged.sumThenReset()).put("message", why));
        }
        stats.countRejected(items);
        forward(e);
    }

    private void emit(Ended e) {
        RingfenceEvents.deferred(route, e.version(), e.requestId(), e.kind(), e.batch(), e.items(), e.outcome(),
                e.lagNanos(), e.wallNanos(), e.cpuNanos(), e.allocatedBytes(), e.message());
    }

    private void forward(Ended e) {
        Consumer<Ended> f = forward;
        if (f != null) {
            f.accept(e);
        }
    }

    /** Inside a child: sends every piece's end (after it is counted here) to {@code f}. */
    void forwardTo(Consumer<Ended> f) {
        this.forward = f;
    }

    void staged(int pieces) {
        staged.addAndGet(pieces);
    }

    void batched(int items) {
        batchedItems.addAndGet(items);
    }

    /** @return pieces accepted (requests answered) and not yet ended: queued or running */
    int outstanding() {
        return queued.get() - staged.get() + running.get();
    }

    /** @return batch items joined to a batch and not yet sealed into a flush */
    int batchedItems() {
        return batchedItems.get();
    }

    /**
     * Counts and emits, on the host, how a piece of this route's deferred work ended in a child
     * (its log line, if any, came on the child's stderr).
     *
     * @param e what the child reported
     */
    public void fromChild(Ended e) {
        emit(e);
        switch (e.outcome()) {
            case REJECTED:
                // an item refused by a full queue and a sealed flush refused look alike here: neither
                // is counted as a batch (in-process the latter is)
                stats.countRejected(e.items());
                return;
            case DROPPED:
                stats.countAccepted();
                stats.countDropped(e.items());
                break;
            default:
                stats.countAccepted();
                stats.countStarted(e.lagNanos());
                stats.countEnded(Outcome.valueOf(e.outcome()), e.items());
                break;
        }
        if ("batch".equals(e.kind())) {
            stats.countBatch(e.items());
        }
        if (e.abandoned()) {
            onAbandoned.run();
        }
    }

    /**
     * Counts, logs and emits, on the host, what a child of the route had accepted and not run when
     * it died or was killed (the last count it reported): {@code DROPPED}.
     *
     * @param version the child's version (short id)
     * @param pieces tasks and flushes queued or running in it
     * @param items batch items in batches it had not sealed
     * @param why how the child ended
     */
    public void lostInChild(String version, long pieces, long items, String why) {
        if (pieces <= 0 && items <= 0) {
            return;
        }
        String message = "lost with the child: " + why;
        RingfenceEvents.deferred(route, version, null, "child", null, (int) Math.min(Integer.MAX_VALUE, items), DROPPED,
                0, 0, 0, 0, message);
        log.emit(log.line("deferred-lost").put("route", route).put("version", version).put("pieces", pieces)
                .put("items", items).put("message", message));
        stats.countLost(pieces, items);
    }

    /**
     * Registers a child of the route that was told to stop with deferred work: {@link #awaitDrained}
     * waits for it to exit too.
     *
     * @param exited completes when the child has exited
     */
    public void childDraining(CompletableFuture<?> exited) {
        childDrains.add(exited);
        exited.whenComplete((v, t) -> childDrains.remove(exited));
    }

    /** Queues a piece whose place was reserved; drops it (counted) when the workers are shut down. */
    void submit(Piece p) {
        p.handedAt = System.nanoTime();
        stats.countAccepted();
        try {
            workers.execute(p);
        } catch (RejectedExecutionException e) {
            queued.decrementAndGet();
            try {
                p.drop("route " + route + " was removed before it could be queued");
            } finally {
                p.lease.close();
            }
        }
    }

    /** Schedules a batcher's linger flush; null once a drain has begun (it flushes at once instead). */
    ScheduledFuture<?> schedule(Runnable r, long delayNanos) {
        ScheduledThreadPoolExecutor t = timer;
        if (t == null) {
            synchronized (this) {
                t = timer;
                if (closed) {
                    return null; // a drain flushes at once what joins a batch: no timer to start
                }
                if (t == null) {
                    t = new ScheduledThreadPoolExecutor(1, r2 -> {
                        Thread th = new Thread(r2, "ringfence-deferred-" + route + "-linger");
                        th.setDaemon(true);
                        return th;
                    });
                    t.setRemoveOnCancelPolicy(true);
                    timer = t;
                }
            }
        }
        try {
            return t.schedule(r, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null; // closing: the drain flushes every pending batch
        }
    }

    void pending(DeferredBatch<?> b, boolean has) {
        if (has) {
            pendingBatches.add(b);
        } else {
            pendingBatches.remove(b);
        }
    }

    /**
     * Starts the drain, without waiting: no new piece is accepted, pending batches are flushed,
     * queued pieces may start for {@code defer.drain} more, later ones are dropped. Idempotent.
     */
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            drainBy = System.nanoTime() + settings.drainNanos();
            closed = true;
        }
        for (DeferredBatch<?> b : new ArrayList<>(pendingBatches)) {
            b.flushNow(null);
        }
        ScheduledThreadPoolExecutor t = timer;
        if (t != null) {
            t.shutdownNow();
        }
        workers.shutdown();
    }

    /**
     * Waits for a drain begun by {@link #close} to end: every piece ended or dropped.
     *
     * @param nanos the longest wait
     * @return whether it ended within the wait
     */
    public boolean awaitDrained(long nanos) {
        long until = System.nanoTime() + nanos;
        try {
            boolean own = workers.awaitTermination(nanos, TimeUnit.NANOSECONDS);
            for (CompletableFuture<?> child : new ArrayList<>(childDrains)) {
                child.get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            return own;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException e) {
            return false; // a child still draining is killed by its own bound
        }
    }

    /** @return how long a drain may take: {@code defer.drain} plus one piece's {@code defer.timeout} and a grace */
    public long drainBoundNanos() {
        RouteSettings.Defer d = settings;
        return d.drainNanos() + d.budgets().wallNanos() + RouteRuntime.GRACE_NANOS + TimeUnit.SECONDS.toNanos(1);
    }


    /** One piece of deferred work: a task or a flush, and the lease on its version. */
    final class Piece implements Runnable, Scope {
        private final HandlerVersion version;
        private final HandlerVersions.Lease lease;
        private final String requestId;
        private final String kind;
        private final String batch;
        private final int items;
        private final ShareQuota quota;
        private final Callable<Void> body;
        volatile long handedAt;

        Piece(HandlerVersion version, HandlerVersions.Lease lease, String requestId, String kind, String batch, int items,
                ShareQuota quota, Callable<Void> body) {
            this.version = version;
            this.lease = lease;
            this.requestId = requestId;
            this.kind = kind;
            this.batch = batch;
            this.items = items;
            this.quota = quota;
            this.body = () -> {
                SCOPE.set(this);
                try {
                    return body.call();
                } finally {
                    SCOPE.remove();
                }
            };
        }

        @Override
        public <T> boolean add(DeferredBatch<T> b, T item) {
            Objects.requireNonNull(item, "item");
            if (full()) {
                refused(b.version(), requestId, "batch", b.name(), 1);
                return false;
            }
            b.append(item, lease, requestId);
            return true;
        }

        @Override
        public void run() {
            queued.decrementAndGet();
            try {
                long now = System.nanoTime();
                Budgets b = settings.budgets();
                if (closed) {
                    long left = drainBy - now;
                    if (left <= 0) {
                        drop("not started within defer.drain of " + TimeUnit.NANOSECONDS.toMillis(settings.drainNanos())
                                + " ms after route " + route + " was removed");
                        return;
                    }
                    b = new Budgets(Math.min(b.wallNanos(), left), b.cpuNanos(), 0, b.allocBytes());
                }
                long lag = now - handedAt;
                stats.countStarted(lag);
                running.incrementAndGet();
                RunResult<Void> r;
                try {
                    r = executor.run(b, version.policy(), version.classLoader(), quota, body);
                } catch (RuntimeException e) {
                    r = new RunResult<>(Outcome.ERROR, null, "deferred work could not start: " + e, e.getClass().getName(), 0, 0, 0, 0, false);
                } finally {
                    running.decrementAndGet();
                }
                ended(r, lag);
            } finally {
                lease.close();
            }
        }

        /** Emits, logs, then counts: whoever sees the count sees the line. */
        private void ended(RunResult<Void> r, long lag) {
            Ended e = new Ended(version.shortId(), requestId, kind, batch, items, r.outcome().name(), lag, r.wallNanos(),
                    r.cpuNanos(), r.allocatedBytes(), r.abandoned(), r.message());
            emit(e);
            if (r.outcome() != Outcome.OK) {
                log.emit(log.line("deferred-failed").put("route", route).put("version", version.shortId())
                        .put("requestId", requestId).put("kind", kind).put("batch", batch).put("items", items)
                        .put("outcome", r.outcome().name()).put("lagMs", lag / 1e6).put("wallMs", r.wallNanos() / 1e6)
                        .put("cpuMs", r.cpuNanos() / 1e6).put("allocatedBytes", r.allocatedBytes())
                        .put("abandoned", r.abandoned()).put("message", r.message()));
            }
            if (r.abandoned()) {
                onAbandoned.run();
            }
            stats.countEnded(r.outcome(), items);
            forward(e);
        }

        /** Ends it unstarted: counted, logged, emitted (the caller releases its lease). */
        void drop(String why) {
            Ended e = new Ended(version.shortId(), requestId, kind, batch, items, DROPPED, 0, 0, 0, 0, false, why);
            emit(e);
            log.emit(log.line("deferred-dropped").put("route", route).put("version", version.shortId())
                    .put("requestId", requestId).put("kind", kind).put("batch", batch).put("items", items)
                    .put("message", why));
            stats.countDropped(items);
            forward(e);
        }
    }
}
