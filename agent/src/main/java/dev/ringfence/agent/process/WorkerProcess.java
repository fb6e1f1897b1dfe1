package dev.ringfence.agent.process;

import dev.ringfence.agent.gates.Gates;
import dev.ringfence.agent.pipeline.DeferredWork;
import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.VarHandle;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.MessageHandler;

/**
 * The host's side of one child JVM of the process tier: starts it from the agent jar with its
 * caps, keeps one running, and sends it requests over the {@link ChannelFile}.
 *
 * <p>Assumptions and guarantees: {@link #invoke} may be called from many threads; the child runs
 * <em>one request at a time</em> (or {@code concurrency} at once, see {@link ChildExchange}), and a
 * caller waits for its turn (first come, first served) no longer than its own deadline. Every call
 * returns by its deadline, whatever the child does:
 * <ul>
 * <li>the deadline passes (while waiting for a turn or a ready child: {@code TIMEOUT}; while the
 *   child has the request: {@code TIMEOUT}, and the child and its descendants are killed at once and
 *   a replacement started, since the child's own budgets did not stop the handler in time);</li>
 * <li>the child dies with the request (killed, halted, crashed): {@code CRASHED} as soon as the
 *   death is seen, and a replacement is started after a backoff;</li>
 * <li>the child answered for a handler thread that did not come back (the answer is flagged
 *   abandoned or recycle), or ended it {@code NATIVE_EXCEEDED} (what it reserved may still be held):
 *   the answer is returned and the child replaced;</li>
 * <li>the child's resident memory passes its envelope ({@link ResidentWatch}, read from
 *   {@code /proc} every half second by the supervisor): it is killed at once and its request ends
 *   {@code NATIVE_EXCEEDED}; past the soft limit it takes no new request and is replaced once the
 *   one it runs has ended.</li>
 * </ul>
 * The first replacement starts at once, the next ones after {@code min(cap, base·2^(failures-2))},
 * where failures counts the children in a row that died, were killed or could not start; an
 * answered request resets it.
 * The caller that holds the turn is the only one touching the rings; child lifecycle state is
 * guarded by this object's monitor; the supervisor thread (one daemon thread per instance) starts
 * children and watches their memory: it reads a child's {@link Frames#REPORT}s from the response
 * ring only when it can take the turn without waiting (a request's holder reads them itself, while
 * it awaits its answer), and reads the resident size from {@code /proc}, which needs no turn.
 *
 * <p>Deferred work runs inside the child ({@link dev.ringfence.agent.pipeline.ChildRoute}); with a
 * route's {@link DeferredWork} to report to ({@link #reportDeferredTo}), whoever reads a child's
 * response ring hands each piece's end to it ({@link DeferredWork#fromChild}) and keeps the child's
 * last counts (every response and deferred-work message carries them). A child that dies or is killed loses what
 * those counts say it had not run: counted {@code DROPPED} once ({@link DeferredWork#lostInChild}).
 * {@link #close} tells the child to stop and, rather than wait, leaves a daemon thread reading its
 * ring until it exits or its drain bound ({@link WorkerSpec#drainBoundNanos()}) passes, when it is
 * killed; the route's drain waits for that thread ({@link DeferredWork#childDraining}).
 */
public final class WorkerProcess implements AutoCloseable {
    private static final AtomicLong CHANNELS = new AtomicLong();

    private final WorkerSpec spec;
    private final Path java;
    private final ProcessBuilder.Redirect stderr;
    private final long restartBaseNanos;
    private final long restartCapNanos;
    /** Requests the child runs at once; above 1 they share its rings through a {@link ChildMux}. */
    private final int concurrency;
    private final Semaphore turn;
    private final ScheduledExecutorService supervisor;
    private volatile Thread supervisorThread;
    private final ResidentWatch resident;

    // guarded by turn
    private final ExpandableArrayBuffer sendBuffer = new ExpandableArrayBuffer(4096);
    private final IdleStrategy waiting = new BackoffIdleStrategy(10_000, 100, 1_000, 100_000);
    /** Waiting for the answer of a spare still opening the version (milliseconds away): parks only. */
    private final IdleStrategy loading = new BackoffIdleStrategy(1, 1, 20_000, 100_000);
    private final MessageHandler onResponse = this::onResponse;
    private long nextFrameId;
    private long awaitedFrame;
    private String awaitedRequestId;
    private Frames.ResponseFrame received;
    /** The child whose response ring is being read: its memory reports land on it. */
    private Child reading;
    /** The child holding the request in flight, for {@link #requestTaken()}. */
    private volatile Child inFlight;

    // guarded by this
    private Child child;
    private int failures;
    private boolean startScheduled;
    private boolean closed;
    private long started;
    private volatile String startFailure;
    private long residentRecycles;
    private long residentKills;
    /** The start-up cache's use, or null for plain starts; set before {@link #start()}. */
    private volatile CachedStart cached;
    /** Makes {@link #cached} when first needed; null once made, or when no cache is used. Guarded by this. */
    private Supplier<CachedStart> startupCache;
    /** Where a child may come from warm instead of a cold start, or null. */
    private volatile SpareChild spares;
    /** The route's deferred work, which counts what the children's deferred work did, or null. */
    private volatile DeferredWork deferredSink;
    private long fromSpare;

    /**
     * @param spec what the child runs and its caps
     * @param stderr where the child's stderr goes (what its handler prints, its start-up failures)
     * @param restartBaseNanos the first restart's delay after a failure
     * @param restartCapNanos the longest delay between restarts
     */
    public WorkerProcess(WorkerSpec spec, ProcessBuilder.Redirect stderr, long restartBaseNanos, long restartCapNanos) {
        this(spec, stderr, restartBaseNanos, restartCapNanos, 1);
    }

    /**
     * @param spec what the child runs and its caps
     * @param stderr where the child's stderr goes (what its handler prints, its start-up failures)
     * @param restartBaseNanos the first restart's delay after a failure
     * @param restartCapNanos the longest delay between restarts
     * @param concurrency requests the child runs at once, each on a serving thread of its own (1 or more)
     */
    public WorkerProcess(WorkerSpec spec, ProcessBuilder.Redirect stderr, long restartBaseNanos, long restartCapNanos,
            int concurrency) {
        if (restartBaseNanos <= 0 || restartCapNanos < restartBaseNanos) {
            throw new IllegalArgumentException("restart backoff needs base > 0 and cap >= base");
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("a child runs at least one request at a time");
        }
        this.concurrency = concurrency;
        this.turn = new Semaphore(concurrency, true);
        this.spec = spec;
        this.java = Path.of(System.getProperty("java.home"), "bin", "java");
        this.stderr = stderr;
        this.restartBaseNanos = restartBaseNanos;
        this.restartCapNanos = restartCapNanos;
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "ringfence-worker-supervisor");
            t.setDaemon(true);
            supervisorThread = t;
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        this.supervisor = s;
        Gates.reserve(spec.workDir()); // channel files: no handler of this JVM reads or writes them
        if (spec.cacheDir() != null) {
            Gates.reserve(spec.cacheDir());
        }
        this.resident = new ResidentWatch(spec.caps());
        s.scheduleWithFixedDelay(this::watchResident, ResidentWatch.POLL_MILLIS, ResidentWatch.POLL_MILLIS,
                TimeUnit.MILLISECONDS);
        try {
            Files.createDirectories(spec.workDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the work directory " + spec.workDir(), e);
        }
    }

    /**
     * A worker with restarts backing off from 100 ms to 10 s, the child's stderr on this JVM's.
     *
     * @param spec what the child runs and its caps
     * @return the worker; call {@link #start()} to warm it
     */
    public static WorkerProcess of(WorkerSpec spec) {
        return of(spec, 1);
    }

    /**
     * Like {@link #of(WorkerSpec)}, with a child that runs several requests at once.
     *
     * @param spec what the child runs and its caps
     * @param concurrency requests the child runs at once (1 or more)
     * @return the worker; call {@link #start()} to warm it
     */
    public static WorkerProcess of(WorkerSpec spec, int concurrency) {
        return new WorkerProcess(spec, ProcessBuilder.Redirect.INHERIT, TimeUnit.MILLISECONDS.toNanos(100),
                TimeUnit.SECONDS.toNanos(10), concurrency);
    }

    /**
     * Starts children from a start-up cache ({@link StartupCache}, {@link CachedStart}): from its
     * entry for this spec and version when there is one, else plain, with the entry made in the
     * background once the first child is ready. Call before {@link #start()}; failures only ever
     * fall back to a plain start.
     *
     * @param cache the cache
     * @param versionId the version the children serve (the id the child announces), or null to key
     *     by the one the first child announces
     * @param report receives (event, message) of entries made, failed or found bad
     */
    public void useStartupCache(StartupCache cache, String versionId, BiConsumer<String, String> report) {
        synchronized (this) {
            // made when first needed: a spare taken warm does not wait for its keys and files
            startupCache = () -> new CachedStart(cache, spec, java, versionId, report);
        }
    }

    /**
     * @return the start-up cache's state: {@code used} (the current child maps its archive),
     *     {@code training}, {@code ready} (made; the next child uses it) or {@code off: why}
     */
    public String startupCache() {
        CachedStart c = cachedStart();
        return c == null ? "off: not configured" : c.state();
    }

    /** Starts the first child now, unless one runs or is due; returns at once. */
    public void start() {
        synchronized (this) {
            scheduleStart();
        }
    }

    /**
     * Starts the first child from a spare taken for it already ({@link SpareChild#take} with this
     * worker's spec and concurrency), which is opening the version meanwhile: the caller took it
     * before building the rest of the tier, so that the spare's work and the host's overlap.
     *
     * @param taken the spare
     * @throws IllegalStateException when this worker has a child or a start due already
     */
    public void startWith(SpareChild.Taken taken) {
        synchronized (this) {
            if (closed || child != null || startScheduled) {
                throw new IllegalStateException("the worker process has a child or is starting one");
            }
            startScheduled = true;
        }
        startNow(taken);
    }

    /**
     * @return whether the child is a spare taken warm that is still opening the version: a request
     *     may be written behind its {@code LOAD} message already (see {@link #invoke})
     */
    public boolean loadingFromSpare() {
        Child c;
        synchronized (this) {
            c = child;
        }
        return c != null && c.fromSpare && c.version == null && c.channel.state() == ChannelFile.STATE_SPARE;
    }

    /**
     * Waits until a child is ready to serve.
     *
     * @param timeoutNanos how long to wait at most
     * @return whether one is
     * @throws InterruptedException when interrupted while waiting for the turn
     */
    public boolean awaitReady(long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        if (!turn.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS)) {
            return false;
        }
        try {
            return readyChild(deadline) != null;
        } finally {
            turn.release();
        }
    }

    /**
     * The bound on a framed request: a request whose body comes near it is refused
     * ({@link RequestTooLargeException}) before anything is sent.
     *
     * @return bytes
     */
    public int maxRequestBytes() {
        return spec.ringCapacity() / 8 - 8; // OneToOneRingBuffer takes an eighth, less its record header
    }

    /**
     * Runs one request in the child.
     *
     * @param request the request
     * @param timeoutNanos its deadline from now (the wait for the child's turn included)
     * @return how it ended, by the deadline
     * @throws RequestTooLargeException when the framed request passes {@link #maxRequestBytes()}; nothing was sent
     * @throws IllegalStateException after {@link #close()}
     */
    public InvocationResult invoke(Request request, long timeoutNanos) {
        long start = System.nanoTime();
        long deadline = start + timeoutNanos;
        if (request.bodyLength() > maxRequestBytes()) {
            throw new RequestTooLargeException(request.bodyLength(), maxRequestBytes());
        }
        try {
            if (!turn.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS)) {
                return InvocationResult.refused(request.requestId(), Outcome.TIMEOUT, null,
                        "the deadline passed while waiting for the worker process's turn", System.nanoTime() - start, "-");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return InvocationResult.refused(request.requestId(), Outcome.REJECTED, null,
                    "interrupted while waiting for the worker process's turn", System.nanoTime() - start, "-");
        }
        try {
            return concurrency == 1 ? exchange(request, start, deadline)
                    : ChildExchange.run(this, request, start, deadline);
        } finally {
            turn.release();
        }
    }

    private InvocationResult exchange(Request request, long start, long deadline) {
        Child c = readyChild(deadline, true);
        if (c == null) {
            String why = startFailure;
            return InvocationResult.refused(request.requestId(), why != null ? Outcome.ERROR : Outcome.TIMEOUT, null,
                    why != null ? "the worker process could not start: " + why
                            : "no worker process was ready within the deadline",
                    System.nanoTime() - start, "-");
        }
        long frameId = ++nextFrameId;
        int length = Frames.encodeRequest(sendBuffer, frameId, deadline - System.nanoTime(), request);
        if (length > c.channel.requests().maxMsgLength()) {
            throw new RequestTooLargeException(length, c.channel.requests().maxMsgLength());
        }
        if (!c.channel.requests().write(Frames.REQUEST, sendBuffer, 0, length)) {
            retire(c, true);
            return ended(request, c, Outcome.CRASHED, "the worker process's request ring was full; it was replaced", start);
        }
        wake(c);
        awaitedFrame = frameId;
        awaitedRequestId = request.requestId();
        received = null;
        inFlight = c;
        try {
            return await(request, c, start, deadline);
        } finally {
            inFlight = null;
        }
    }

    private InvocationResult await(Request request, Child c, long start, long deadline) {
        waiting.reset();
        loading.reset();
        reading = c;
        while (true) {
            int n = c.channel.responses().read(onResponse, 1);
            if (received != null) {
                return answered(c, received, start);
            }
            if (n > 0) {
                continue; // another frame's late answer: dropped
            }
            if (c.version == null && !adoptIfReady(c) && c.channel.state() == ChannelFile.STATE_FAILED) {
                return failedToLoad(request, c, start); // a spare sent the request behind its LOAD failed to open it
            }
            if (!c.process.isAlive()) {
                c.channel.responses().read(onResponse, 1); // it may have answered just before it died
                if (received != null) {
                    return answered(c, received, start);
                }
                if (c.version == null && c.channel.state() == ChannelFile.STATE_FAILED) {
                    return failedToLoad(request, c, start);
                }
                retire(c, false);
                if (c.killedFor != null) {
                    return ended(request, c, Outcome.NATIVE_EXCEEDED, c.killedFor, start);
                }
                return ended(request, c, Outcome.CRASHED, "the worker process (pid " + c.process.pid()
                        + ") died with the request (exit code " + c.process.exitValue() + ")", start);
            }
            if (System.nanoTime() - deadline >= 0) {
                retire(c, true);
                return ended(request, c, Outcome.TIMEOUT, "the deadline passed with the request in the worker process;"
                        + " the process (pid " + c.process.pid() + ") was killed and is being replaced", start);
            }
            if (c.version == null) {
                loading.idle(); // it is opening the version: spinning here would take the core it needs
            } else {
                waiting.idle();
            }
        }
    }

    /** Wakes a child that sleeps on its stdin (see {@link WorkerLoop}); the fence orders the ring write before the look. */
    static void wake(Child c) {
        VarHandle.fullFence();
        if (c.channel.childSleeping()) {
            try {
                c.wake.write(1);
                c.wake.flush();
            } catch (IOException e) {
                // it died: the wait sees that
            }
        }
    }

    private void onResponse(int type, MutableDirectBuffer buffer, int index, int length) {
        if (reading != null) {
            reading.tap(type, buffer, index);
        }
        if (type == Frames.RESPONSE && buffer.getLong(index) == awaitedFrame) {
            received = Frames.decodeResponse(buffer, index, awaitedRequestId);
        }
    }

    /**
     * The resident-memory watch, every {@value ResidentWatch#POLL_MILLIS} ms on the supervisor:
     * reads the child's memory reports when no request holds the turn (a request's holder reads
     * them itself), reads its resident size from {@code /proc}, and applies the envelope
     * ({@link ResidentWatch}): past the hard limit the child is killed now (its request, if any,
     * ends {@code NATIVE_EXCEEDED}); past the soft limit it takes no new request and is recycled
     * as soon as none runs on it.
     */
    private void watchResident() {
        Child c;
        synchronized (this) {
            c = child;
        }
        if (c == null || c.version == null || !c.process.isAlive()) {
            return; // a child that died is the awaiting caller's to report (CRASHED), not the watch's
        }
        // a child running several requests at once has its ring read by its mux alone
        if (c.mux != null) {
            c.mux.readAvailable();
        } else if (turn.tryAcquire()) {
            try {
                reading = c;
                c.channel.responses().read(onResponse, 64);
            } finally {
                reading = null;
                turn.release();
            }
        }
        long rss = ResidentWatch.residentBytes(c.process.pid());
        ChildMemory reported = c.reported;
        c.resident = rss >= 0 ? rss : reported.residentBytes();
        ResidentWatch.Verdict v = resident.judge(c.resident);
        if (v == ResidentWatch.Verdict.HARD && c.killedFor == null) {
            c.killedFor = resident.hardMessage(c.process.pid(), c.resident);
            synchronized (this) {
                residentKills++;
            }
            retire(c, true);
        } else if (v == ResidentWatch.Verdict.SOFT && !c.draining) {
            c.draining = true;
            synchronized (this) {
                residentRecycles++;
            }
            if (turn.tryAcquire(concurrency)) {
                try {
                    retire(c, true); // idle: recycle now
                } finally {
                    turn.release(concurrency);
                }
            }
        }
    }

    /** A spare taken for a request failed to open the version: the request ends as a failed start's would. */
    private InvocationResult failedToLoad(Request request, Child c, long start) {
        String why = c.channel.stateText();
        startFailure = why;
        retire(c, true);
        return ended(request, c, Outcome.ERROR, "the worker process could not start: " + why, start);
    }

    InvocationResult answered(Child c, Frames.ResponseFrame f, long start) {
        if (c.version == null) {
            adoptIfReady(c); // a spare loading when the request was sent: it announced ready before it answered
        }
        // past its soft memory limit a child is recycled once nothing else runs on it (this caller holds one turn)
        boolean replace = (f.flags() & (Frames.FLAG_RECYCLE | Frames.FLAG_ABANDONED)) != 0
                || (c.draining && turn.availablePermits() == concurrency - 1);
        if (replace) {
            retire(c, true);
        } else {
            synchronized (this) {
                failures = 0;
            }
        }
        return f.result().withWallNanos(System.nanoTime() - start);
    }

    static InvocationResult ended(Request request, Child c, Outcome outcome, String message, long start) {
        return InvocationResult.refused(request.requestId(), outcome, null, message, System.nanoTime() - start,
                c.version == null ? "-" : c.version);
    }

    /**
     * The ready child, waiting for one (and starting one when none runs or is due) until the
     * deadline. Null when none was ready by then, or when the last one could not start
     * ({@link #startFailure} says why).
     */
    Child readyChild(long deadline) {
        return readyChild(deadline, false);
    }

    /**
     * {@link #readyChild(long)}; with {@code loading}, a spare taken warm that is still opening
     * the version will do too: a request written behind its {@code LOAD} message waits in the ring
     * until it is open, which saves the wait for its announcement (the caller then watches for a
     * failed load while it awaits the answer).
     */
    Child readyChild(long deadline, boolean loading) {
        IdleStrategy idle = WorkerLoop.idleStrategy();
        while (true) {
            Child c;
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("the worker process is closed");
                }
                c = child;
                if (c == null) {
                    if (startFailure != null && failures > 0) {
                        return null;
                    }
                    scheduleStart();
                }
            }
            if (c != null) {
                if (c.version != null && c.draining) {
                    retire(c, true); // past its soft memory limit: no new work, replaced
                    continue;
                }
                if (c.version != null) {
                    return c;
                }
                if (adoptIfReady(c)) {
                    return c;
                }
                int state = c.channel.state();
                if (loading && c.fromSpare && state == ChannelFile.STATE_SPARE && c.process.isAlive()) {
                    return c;
                }
                if (state == ChannelFile.STATE_FAILED && c.entry != null) {
                    cachedStart().failedBeforeReady(c.entry, c.channel.stateText()); // retried plain at once
                    retire(c, true);
                    continue;
                }
                if (state == ChannelFile.STATE_FAILED) {
                    startFailure = c.channel.stateText();
                    retire(c, true);
                    return null;
                }
                if (!c.process.isAlive()) {
                    if (c.entry != null && c.channel.state() != ChannelFile.STATE_READY) {
                        cachedStart().failedBeforeReady(c.entry, "exit code " + c.process.exitValue());
                    }
                    retire(c, false);
                    continue;
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                return null;
            }
            idle.idle();
        }
    }

    /** The start-up cache's side of this worker, made on first use; null when it uses none. */
    private CachedStart cachedStart() {
        CachedStart c = cached;
        if (c != null) {
            return c;
        }
        synchronized (this) {
            if (cached == null && startupCache != null) {
                cached = startupCache.get();
                startupCache = null;
            }
            return cached;
        }
    }

    /**
     * Takes a child in service once it announced ready: its version noted, its channel file
     * deleted (both sides have it mapped), the start-up cache told. Called by the turn's holder.
     *
     * @return whether it is ready
     */
    private boolean adoptIfReady(Child c) {
        if (c.version != null) {
            return true;
        }
        if (c.channel.state() != ChannelFile.STATE_READY) {
            return false;
        }
        c.version = c.channel.stateText();
        c.channel.deleteFile();
        startFailure = null;
        if (!c.fromSpare) {
            CachedStart cs = cachedStart();
            if (cs != null) {
                cs.ready(c.process.pid(), c.entry, c.version);
            }
            return true;
        }
        long pid = c.process.pid();
        String version = c.version;
        try { // off the way of the request sent behind the spare's LOAD: the cache's keys take a while to make
            supervisor.execute(() -> {
                CachedStart cs = cachedStart();
                if (cs != null) {
                    cs.ready(pid, null, version);
                }
            });
        } catch (RejectedExecutionException e) {
            // closed meanwhile: nothing to make
        }
        return true;
    }

    /** Takes a child out of service (killing it and its descendants when asked) and schedules a replacement. */
    void retire(Child c, boolean kill) {
        synchronized (this) {
            if (child == c) {
                child = null;
                failures++;
                scheduleStart();
            }
        }
        if (kill) {
            kill(c.process);
        }
        settleDeferred(c, "the worker process (pid " + c.process.pid() + ") was " + (kill ? "killed" : "found dead"));
        c.channel.deleteFile();
    }

    /** Counts, once, what a child that ended had accepted of deferred work and not run (its last counts). */
    private void settleDeferred(Child c, String why) {
        DeferredWork sink = c.sink;
        if (sink == null || !c.deferredSettled.compareAndSet(false, true)) {
            return;
        }
        Frames.DeferredCounts n = c.deferred;
        sink.lostInChild(c.version == null ? "-" : c.version, n.outstanding(), n.batchedItems(), why);
    }

    /**
     * After a {@code STOP}: reads the child's ring on a daemon thread until it exits or its drain
     * bound passes (then it is killed), and settles what it did not run.
     */
    private void drainInBackground(Child c, DeferredWork sink) {
        c.stopping = true;
        CompletableFuture<Void> done = new CompletableFuture<>();
        sink.childDraining(done);
        long bound = spec.drainBoundNanos();
        Thread t = new Thread(() -> {
            try {
                long until = System.nanoTime() + bound;
                IdleStrategy idle = WorkerLoop.idleStrategy();
                MessageHandler tap = (type, buffer, index, length) -> c.tap(type, buffer, index);
                while (c.process.isAlive() && System.nanoTime() - until < 0) {
                    if (readChild(c, tap) == 0) {
                        idle.idle();
                    } else {
                        idle.reset();
                    }
                }
                boolean late = c.process.isAlive();
                if (late) {
                    kill(c.process);
                }
                readChild(c, tap); // what it wrote before it ended
                settleDeferred(c, late ? "the worker process (pid " + c.process.pid() + ") did not drain within "
                        + TimeUnit.NANOSECONDS.toMillis(bound) + " ms of being told to stop and was killed"
                        : "the worker process (pid " + c.process.pid() + ") exited during its drain");
            } finally {
                done.complete(null);
            }
        }, "ringfence-worker-drain");
        t.setDaemon(true);
        t.start();
    }

    private static int readChild(Child c, MessageHandler tap) {
        return c.mux != null ? c.mux.readAvailable() : c.channel.responses().read(tap, 64);
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    /** A child's process ended, seen by the JDK's process reaper: replace it unless it was retired already. */
    private void exited(Child c) {
        boolean ours;
        synchronized (this) {
            ours = !closed && child == c; // not killed by close() or retired
        }
        if (ours && c.entry != null && c.version == null && c.channel.state() != ChannelFile.STATE_READY) {
            cachedStart().failedBeforeReady(c.entry, "exit code " + c.process.exitValue());
        }
        if (c.channel.state() == ChannelFile.STATE_FAILED) {
            startFailure = c.channel.stateText();
        }
        if (!c.stopping) {
            readLeftovers(c);
            settleDeferred(c, "the worker process (pid " + c.process.pid() + ") exited with code "
                    + c.process.exitValue());
        }
        synchronized (this) {
            if (child == c) {
                child = null;
                failures++;
                scheduleStart();
            }
        }
        c.channel.deleteFile();
    }

    /** Reads what a dead child wrote last, when its ring is free to read now. */
    private void readLeftovers(Child c) {
        if (c.mux != null) {
            c.mux.readAvailable();
        } else if (turn.tryAcquire()) {
            try {
                c.channel.responses().read((type, buffer, index, length) -> c.tap(type, buffer, index), 256);
            } finally {
                turn.release();
            }
        }
    }

    /** Schedules the next child's start, after the backoff the failures so far call for. Caller holds this. */
    private void scheduleStart() {
        if (closed || child != null || startScheduled) {
            return;
        }
        // the first replacement starts at once: one crash or kill says little about the next child
        long delay = failures <= 1 ? 0 : Math.min(restartCapNanos, restartBaseNanos << Math.min(failures - 2, 20));
        startScheduled = true;
        supervisor.schedule(() -> startNow(null), delay, TimeUnit.NANOSECONDS);
    }

    /**
     * Starts a child. The launch (a channel file created, a JVM spawned: hundreds of milliseconds
     * on a loaded machine) runs outside this object's monitor, so that callers waiting for a ready
     * child see their deadline pass on time; {@code startScheduled} stays set until the child is
     * in place, so no second start is scheduled meanwhile. The supervisor thread runs this, or
     * {@link #startWith} with the spare it was handed ({@code pre}).
     */
    private void startNow(SpareChild.Taken pre) {
        synchronized (this) {
            if (closed || child != null) {
                startScheduled = false;
                if (pre != null) {
                    pre.discard(); // closed meanwhile
                }
                return;
            }
        }
        Path file = spec.workDir().resolve("worker-" + ProcessHandle.current().pid() + "-"
                + CHANNELS.incrementAndGet() + ".channel");
        ChannelFile channel = null;
        Process p = null;
        String failure = null;
        CachedStart cs = null;
        Path entry = null;
        boolean warm = false;
        try {
            SpareChild.Taken taken = pre != null ? pre : spares == null ? null : spares.take(spec, concurrency);
            if (taken != null) {
                channel = taken.channel();
                p = taken.process();
                warm = true;
            } else {
                channel = ChannelFile.create(file, spec.ringCapacity());
                cs = cachedStart();
                entry = cs == null ? null : cs.entryForNextChild();
                List<String> command = cs == null ? spec.command(java, file)
                        : StartupArchive.specFor(spec, entry).command(java, file, cs.args(entry));
                command.addAll(concurrencyArgs(concurrency));
                p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(stderr)
                        .start();
            }
        } catch (IOException | RuntimeException e) {
            failure = "cannot start the worker JVM: " + e.getMessage();
        }
        Child c = null;
        synchronized (this) {
            startScheduled = false;
            if (failure == null && !closed) {
                c = new Child(p, channel, entry, concurrency > 1, deferredSink, warm);
                if (warm) {
                    fromSpare++;
                }
                child = c;
                started++;
            } else if (failure != null) {
                startFailure = failure;
                failures++;
                scheduleStart();
            }
        }
        if (c != null) {
            Child serving = c;
            p.onExit().thenRun(() -> exited(serving));
            return;
        }
        if (p != null) {
            kill(p); // closed while it was being started
        }
        if (channel != null) {
            channel.deleteFile();
        }
    }

    /**
     * @return whether the child has taken the request in flight off its ring (it is running it);
     *     false when no request is in flight
     */
    public boolean requestTaken() {
        Child c = inFlight;
        return c != null && c.channel.requests().consumerPosition() == c.channel.requests().producerPosition();
    }

    /**
     * Lets the children this worker starts from now on (the first one, replacements) come from a
     * warm spare when it fits ({@link SpareChild#take}); any other start is a cold one.
     *
     * @param spare the host's spare, or null for cold starts only
     */
    public void takeSparesFrom(SpareChild spare) {
        this.spares = spare;
    }

    /**
     * Hands what the children's deferred work does (each piece's end, what a child lost, their
     * drains) to the route's {@link DeferredWork}. Call before {@link #start()}.
     *
     * @param route the route's deferred work
     */
    public void reportDeferredTo(DeferredWork route) {
        this.deferredSink = route;
    }

    /** @return the callers holding or waiting for the child's turn: 0 when it is free */
    public int load() {
        return concurrency - turn.availablePermits() + turn.getQueueLength();
    }

    /**
     * @param concurrency requests a child runs at once
     * @return the {@code worker} arguments that say so (none for 1)
     */
    static List<String> concurrencyArgs(int concurrency) {
        return concurrency == 1 ? List.of() : List.of("--concurrency", Integer.toString(concurrency));
    }

    /** @return whether a child runs and announced it serves (whether or not a request has seen it yet) */
    public synchronized boolean ready() {
        return child != null && (child.version != null || child.channel.state() == ChannelFile.STATE_READY);
    }

    /** @return the pid of the current child, or -1 when none runs */
    public synchronized long pid() {
        return child == null ? -1 : child.process.pid();
    }

    /** @return why the last child could not start (its own words, or the launch's error), or null */
    public String startFailure() {
        return startFailure;
    }

    /**
     * @return the current child's memory: its last report and the resident size the host read
     *     last; {@link ChildMemory#UNKNOWN} while no child serves
     */
    public ChildMemory memory() {
        Child c;
        synchronized (this) {
            c = child;
        }
        return c == null ? ChildMemory.UNKNOWN : c.reported.withResident(c.resident);
    }

    /** @return deferred work the current child has accepted and not yet ended (queued or running), as it last reported it */
    public long deferredOutstanding() {
        Child c;
        synchronized (this) {
            c = child;
        }
        return c == null ? 0 : c.deferred.outstanding();
    }

    /** @return the resident-memory envelope of this worker's children */
    public ResidentWatch residentWatch() {
        return resident;
    }

    /** @return children recycled so far for passing the soft limit of their envelope */
    public synchronized long residentRecycles() {
        return residentRecycles;
    }

    /** @return children killed so far for passing their envelope */
    public synchronized long residentKills() {
        return residentKills;
    }

    /** @return how many of the children started so far were spares taken warm */
    public synchronized long childrenFromSpare() {
        return fromSpare;
    }

    /** @return how many children were started so far */
    public synchronized long childrenStarted() {
        return started;
    }

    /**
     * Stops the child (a {@code STOP} message when it is idle, else a kill), kills what it left and
     * stops the supervisor, and the start-up cache's training this worker started. A child being
     * launched at that moment is killed and its channel file removed before this returns. Waits at
     * most a few seconds.
     */
    @Override
    public void close() {
        close(false);
    }

    /** Stops the start-up cache's training this worker started, waiting or running, also after {@link #close(boolean)}. */
    public void stopTraining() {
        CachedStart cs = cached;
        if (cs != null) {
            cs.stopTraining();
        }
    }

    /**
     * {@link #close()}, leaving a start-up cache training this worker started to finish when
     * {@code keepTraining}: for a worker closed because its route parked, whose next wake wants
     * the entry.
     *
     * @param keepTraining whether the training goes on
     */
    public void close(boolean keepTraining) {
        if (!keepTraining) {
            stopTraining();
        }
        Child c;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            c = child;
            child = null;
        }
        supervisor.shutdownNow();
        if (Thread.currentThread() != supervisorThread) {
            try { // a launch in progress (startNow) sees closed, kills what it spawned and deletes its file
                supervisor.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (c == null) {
            return;
        }
        boolean stopped = false;
        DeferredWork sink = c.sink;
        try {
            if (c.version != null && turn.tryAcquire(concurrency, 100, TimeUnit.MILLISECONDS)) {
                try {
                    if (c.mux != null ? c.mux.sendStop() : c.channel.requests().write(Frames.STOP, sendBuffer, 0, 0)) {
                        wake(c);
                        if (sink != null) {
                            drainInBackground(c, sink); // it drains its deferred work, then exits
                            stopped = true;
                        } else {
                            stopped = c.process.waitFor(1, TimeUnit.SECONDS);
                        }
                    }
                } finally {
                    turn.release(concurrency);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!stopped) {
            kill(c.process);
            settleDeferred(c, "the worker process (pid " + c.process.pid() + ") was killed as it was closed");
        }
        c.channel.deleteFile();
    }

    /** One child JVM and its channel. */
    static final class Child {
        final Process process;
        final ChannelFile channel;
        /** The shared rings' sender and reader when the child runs several requests at once, else null. */
        final ChildMux mux;
        /** Whether it was the host's warm spare, sent its version in a {@code LOAD} message. */
        final boolean fromSpare;
        /** The version id it announced when ready; set by the turn's holder. */
        volatile String version;

        /** The child's stdin: wake-up bytes. */
        final OutputStream wake;
        /** The start-up cache entry it started from, or null for a plain start. */
        final Path entry;

        /** Its last memory report (set by whoever reads its response ring, holding the turn). */
        volatile ChildMemory reported = ChildMemory.UNKNOWN;
        /** Its resident size as the host read it last, or -1. */
        volatile long resident = -1;
        /** Set past the soft limit: it gets no new request and is recycled once none runs. */
        volatile boolean draining;
        /** Set when the watch killed it past its envelope: why, for the request it ran. */
        volatile String killedFor;
        /** The route's deferred work, told of this child's, or null. */
        final DeferredWork sink;
        /** Its deferred work as it reported last (set by whoever reads its response ring). */
        volatile Frames.DeferredCounts deferred = Frames.DeferredCounts.NONE;
        /** Set once what it lost of deferred work has been counted. */
        final AtomicBoolean deferredSettled = new AtomicBoolean();
        /** Set once it was told to stop: its drain thread settles its deferred work. */
        volatile boolean stopping;

        Child(Process process, ChannelFile channel, Path entry, boolean muxed, DeferredWork sink, boolean fromSpare) {
            this.process = process;
            this.fromSpare = fromSpare;
            this.channel = channel;
            this.entry = entry;
            this.sink = sink;
            this.mux = muxed ? new ChildMux(channel, (type, buffer, index, length) -> tap(type, buffer, index)) : null;
            this.wake = process.getOutputStream();
        }

        /** Takes what a message other than its answer says: memory, deferred counts, a deferred piece's end. */
        void tap(int type, DirectBuffer buffer, int index) {
            if (type == Frames.REPORT) {
                reported = Frames.decodeReport(buffer, index, System.currentTimeMillis());
            } else if (type == Frames.RESPONSE) {
                Frames.DeferredCounts n = Frames.responseCounts(buffer, index);
                if (n != null) {
                    deferred = n;
                }
            } else if (type == Frames.DEFERRED) {
                Frames.DeferredFrame f = Frames.decodeDeferred(buffer, index);
                deferred = f.after();
                if (sink != null) {
                    sink.fromChild(f.ended());
                }
            }
        }
    }
}
