package dev.ringfence.agent.process;

import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.api.Request;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Several children of one handler version: a {@link WorkerProcess} each, the pool sized from
 * outside ({@link #resize}, by the route's {@code PoolSizer}). A request goes to the least loaded
 * member whose child is ready (the first such in order on a tie), or, when none is ready, to the
 * least loaded one (it then waits for its child within the request's deadline).
 *
 * <p>Assumptions and guarantees: {@link #invoke} may be called from many threads; it reads the
 * members from a volatile array without locking. A member's child that dies or is killed is
 * replaced by that member (see {@link WorkerProcess}) while the other members go on serving, so
 * a kill costs only the requests that child had. A member removed by a shrink takes no new
 * requests and is closed once those it had are done (at most {@value #DRAIN_SECONDS} s later); a
 * request that picked it just as it closed goes to another member. {@link #resize} and
 * {@link #close} are serialised on this object.
 */
public final class WorkerPool implements AutoCloseable {
    /** How long a member removed by a shrink may take to finish its requests before it is closed anyway. */
    static final long DRAIN_SECONDS = 60;

    private final Supplier<WorkerProcess> members;
    private final ExecutorService retiring = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ringfence-worker-retire");
        t.setDaemon(true);
        return t;
    });
    private volatile WorkerProcess[] live;
    private long startedByRetired;
    private boolean closed;

    /**
     * @param members makes a new member (not started)
     * @param size the first size, at least 1; every member is started at once
     */
    public WorkerPool(Supplier<WorkerProcess> members, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("a worker pool needs at least one member");
        }
        this.members = members;
        WorkerProcess[] first = new WorkerProcess[size];
        for (int i = 0; i < size; i++) {
            first[i] = members.get();
            first[i].start();
        }
        this.live = first;
    }

    /**
     * Waits until the first member's child is ready (the others start meanwhile).
     *
     * @param timeoutNanos how long to wait at most
     * @return whether it is
     * @throws InterruptedException when interrupted
     */
    public boolean awaitReady(long timeoutNanos) throws InterruptedException {
        return live[0].awaitReady(timeoutNanos);
    }

    /** @return whether the first member's child is a warm spare still opening the version ({@link WorkerProcess#loadingFromSpare}) */
    public boolean loadingFromSpare() {
        return live[0].loadingFromSpare();
    }

    /** @return why the first member's last child could not start, or null */
    public String startFailure() {
        return live[0].startFailure();
    }

    /** @return the bound on a framed request ({@link WorkerProcess#maxRequestBytes()}) */
    public int maxRequestBytes() {
        return live[0].maxRequestBytes();
    }

    /**
     * Runs one request on the least loaded member.
     *
     * @param request the request
     * @param timeoutNanos its deadline from now
     * @return how it ended, by the deadline (see {@link WorkerProcess#invoke})
     * @throws RequestTooLargeException when the framed request is too large; nothing was sent
     * @throws IllegalStateException after {@link #close()}
     */
    public InvocationResult invoke(Request request, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            WorkerProcess w = pick(live);
            try {
                return w.invoke(request, Math.max(0, deadline - System.nanoTime()));
            } catch (IllegalStateException e) {
                synchronized (this) {
                    if (closed) {
                        throw e;
                    }
                }
                // a member removed by a shrink closed under this request before it was sent: try another
            }
        }
    }

    private static WorkerProcess pick(WorkerProcess[] members) {
        if (members.length == 1) {
            return members[0];
        }
        WorkerProcess best = null;
        long bestScore = Long.MAX_VALUE;
        for (WorkerProcess w : members) {
            // a member without a ready child (starting, replacing a dead one) only when every member is so
            long score = w.load() + (w.ready() ? 0 : 1L << 32);
            if (score < bestScore) {
                best = w;
                bestScore = score;
            }
        }
        return best;
    }

    /**
     * Grows the pool (new members start at once) or shrinks it (the last members take no new
     * requests and close once idle).
     *
     * @param size the new size, at least 1
     */
    public synchronized void resize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("a worker pool needs at least one member");
        }
        WorkerProcess[] now = live;
        if (closed || size == now.length) {
            return;
        }
        WorkerProcess[] next = Arrays.copyOf(now, size);
        for (int i = now.length; i < size; i++) {
            next[i] = members.get();
            next[i].start();
        }
        live = next;
        for (int i = size; i < now.length; i++) {
            WorkerProcess gone = now[i];
            retiring.execute(() -> drainAndClose(gone));
        }
    }

    private void drainAndClose(WorkerProcess w) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_SECONDS);
        try {
            while (w.load() > 0 && System.nanoTime() < until) {
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            startedByRetired += w.childrenStarted();
        }
        w.close();
    }

    /** @return how many members the pool has */
    public int size() {
        return live.length;
    }

    /** @return the pids of the members' children, -1 for a member without one now */
    public List<Long> pids() {
        List<Long> pids = new ArrayList<>();
        for (WorkerProcess w : live) {
            pids.add(w.pid());
        }
        return pids;
    }

    /** @return each member's requests running or waiting, in the order of {@link #pids()} */
    public List<Integer> loads() {
        List<Integer> loads = new ArrayList<>();
        for (WorkerProcess w : live) {
            loads.add(w.load());
        }
        return loads;
    }

    /** @return the pid of the first member's child, or -1 when it has none now */
    public long pid() {
        return live[0].pid();
    }

    /** @return members whose child is ready to serve now */
    public int ready() {
        int n = 0;
        for (WorkerProcess w : live) {
            n += w.ready() ? 1 : 0;
        }
        return n;
    }

    /** @return requests running in or waiting for the members' children now */
    public int busy() {
        int n = 0;
        for (WorkerProcess w : live) {
            n += w.load();
        }
        return n;
    }

    /** @return deferred work the members' children have accepted and not yet ended, as they last reported it */
    public long deferredInChildren() {
        long n = 0;
        for (WorkerProcess w : live) {
            n += w.deferredOutstanding();
        }
        return n;
    }

    /** @return children started so far by every member (those removed by a shrink included) */
    public synchronized long childrenStarted() {
        long n = startedByRetired;
        for (WorkerProcess w : live) {
            n += w.childrenStarted();
        }
        return n;
    }

    /** @return children of the members now that came warm from the spare (see {@link SpareChild}) */
    public long childrenFromSpare() {
        long n = 0;
        for (WorkerProcess w : live) {
            n += w.childrenFromSpare();
        }
        return n;
    }

    /** @return the first member's child's memory, as it reported it and as the host read it */
    public ChildMemory memory() {
        return live[0].memory();
    }

    /** @return the resident-memory envelope of the members' children (one spec: the same for all) */
    public ResidentWatch residentWatch() {
        return live[0].residentWatch();
    }

    /** @return children of the members now recycled past their soft memory limit */
    public long residentRecycles() {
        long n = 0;
        for (WorkerProcess w : live) {
            n += w.residentRecycles();
        }
        return n;
    }

    /** @return children of the members now killed past their envelope */
    public long residentKills() {
        long n = 0;
        for (WorkerProcess w : live) {
            n += w.residentKills();
        }
        return n;
    }

    /** @return the start-up cache's state of the first member ({@link WorkerProcess#startupCache()}) */
    public String startupCache() {
        return live[0].startupCache();
    }

    /** Stops a start-up cache training of any member, closed or not ({@link WorkerProcess#stopTraining()}). */
    public void stopTraining() {
        WorkerProcess[] now;
        synchronized (this) {
            now = live;
        }
        for (WorkerProcess w : now) {
            w.stopTraining();
        }
    }

    /** Stops every member's child (see {@link WorkerProcess#close()}), and those removed but not yet closed. */
    @Override
    public void close() {
        close(false);
    }

    /**
     * {@link #close()}; with {@code keepTraining} a start-up cache training a member started goes
     * on ({@link WorkerProcess#close(boolean)}): the route parks.
     *
     * @param keepTraining whether a training goes on
     */
    public void close(boolean keepTraining) {
        WorkerProcess[] now;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            now = live;
        }
        retiring.shutdown();
        for (WorkerProcess w : now) {
            w.close(keepTraining);
        }
        try {
            if (!retiring.awaitTermination(2, TimeUnit.SECONDS)) {
                retiring.shutdownNow(); // a draining member is closed by its task when interrupted
                retiring.awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
