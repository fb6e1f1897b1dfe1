package dev.ringfence.agent.process;

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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 *   abandoned or recycle): the answer is returned and the child replaced.</li>
 * </ul>
 * The first replacement starts at once, the next ones after {@code min(cap, base·2^(failures-2))},
 * where failures counts the children in a row that died, were killed or could not start; an
 * answered request resets it.
 * The caller that holds the turn is the only one touching the rings; child lifecycle state is
 * guarded by this object's monitor; the supervisor thread (one daemon thread per instance) only
 * starts children.
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

    // guarded by turn
    private final ExpandableArrayBuffer sendBuffer = new ExpandableArrayBuffer(4096);
    private final IdleStrategy waiting = new BackoffIdleStrategy(10_000, 100, 1_000, 100_000);
    private final MessageHandler onResponse = this::onResponse;
    private long nextFrameId;
    private long awaitedFrame;
    private String awaitedRequestId;
    private Frames.ResponseFrame received;
    /** The child holding the request in flight, for {@link #requestTaken()}. */
    private volatile Child inFlight;

    // guarded by this
    private Child child;
    private int failures;
    private boolean startScheduled;
    private boolean closed;
    private long started;
    private volatile String startFailure;
    /** Where a child may come from warm instead of a cold start, or null. */
    private volatile SpareChild spares;
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
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        this.supervisor = s;
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

    /** Starts the first child now, unless one runs or is due; returns at once. */
    public void start() {
        synchronized (this) {
            scheduleStart();
        }
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
        Child c = readyChild(deadline);
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
        while (true) {
            int n = c.channel.responses().read(onResponse, 1);
            if (received != null) {
                return answered(c, received, start);
            }
            if (n > 0) {
                continue; // another frame's late answer: dropped
            }
            if (!c.process.isAlive()) {
                c.channel.responses().read(onResponse, 1); // it may have answered just before it died
                if (received != null) {
                    return answered(c, received, start);
                }
                retire(c, false);
                return ended(request, c, Outcome.CRASHED, "the worker process (pid " + c.process.pid()
                        + ") died with the request (exit code " + c.process.exitValue() + ")", start);
            }
            if (System.nanoTime() - deadline >= 0) {
                retire(c, true);
                return ended(request, c, Outcome.TIMEOUT, "the deadline passed with the request in the worker process;"
                        + " the process (pid " + c.process.pid() + ") was killed and is being replaced", start);
            }
            waiting.idle();
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
        if (type == Frames.RESPONSE && buffer.getLong(index) == awaitedFrame) {
            received = Frames.decodeResponse(buffer, index, awaitedRequestId);
        }
    }

    InvocationResult answered(Child c, Frames.ResponseFrame f, long start) {
        boolean replace = (f.flags() & (Frames.FLAG_RECYCLE | Frames.FLAG_ABANDONED)) != 0;
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
                if (c.version != null) {
                    return c;
                }
                int state = c.channel.state();
                if (state == ChannelFile.STATE_READY) {
                    c.version = c.channel.stateText();
                    c.channel.deleteFile(); // both sides have it mapped
                    startFailure = null;
                    return c;
                }
                if (state == ChannelFile.STATE_FAILED) {
                    startFailure = c.channel.stateText();
                    retire(c, true);
                    return null;
                }
                if (!c.process.isAlive()) {
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
        c.channel.deleteFile();
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    /** A child's process ended, seen by the JDK's process reaper: replace it unless it was retired already. */
    private void exited(Child c) {
        if (c.channel.state() == ChannelFile.STATE_FAILED) {
            startFailure = c.channel.stateText();
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

    /** Schedules the next child's start, after the backoff the failures so far call for. Caller holds this. */
    private void scheduleStart() {
        if (closed || child != null || startScheduled) {
            return;
        }
        // the first replacement starts at once: one crash or kill says little about the next child
        long delay = failures <= 1 ? 0 : Math.min(restartCapNanos, restartBaseNanos << Math.min(failures - 2, 20));
        startScheduled = true;
        supervisor.schedule(this::startNow, delay, TimeUnit.NANOSECONDS);
    }

    private void startNow() {
        synchronized (this) {
            startScheduled = false;
            if (closed || child != null) {
                return;
            }
            Path file = spec.workDir().resolve("worker-" + ProcessHandle.current().pid() + "-"
                    + CHANNELS.incrementAndGet() + ".channel");
            ChannelFile channel = null;
            try {
                SpareChild.Taken warm = spares == null ? null : spares.take(spec, concurrency);
                Process p;
                if (warm != null) {
                    channel = warm.channel();
                    p = warm.process();
                    fromSpare++;
                } else {
                    channel = ChannelFile.create(file, spec.ringCapacity());
                    List<String> command = spec.command(java, file);
                    command.addAll(concurrencyArgs(concurrency));
                    p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .redirectError(stderr).start();
                }
                Child c = new Child(p, channel, concurrency > 1 ? new ChildMux(channel) : null);
                child = c;
                started++;
                p.onExit().thenRun(() -> exited(c));
            } catch (IOException | RuntimeException e) {
                if (channel != null) {
                    channel.deleteFile();
                }
                startFailure = "cannot start the worker JVM: " + e.getMessage();
                failures++;
                scheduleStart();
            }
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
     * stops the supervisor. Waits at most about a second.
     */
    @Override
    public void close() {
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
        if (c == null) {
            return;
        }
        boolean stopped = false;
        try {
            if (c.version != null && turn.tryAcquire(concurrency, 100, TimeUnit.MILLISECONDS)) {
                try {
                    if (c.mux != null ? c.mux.sendStop() : c.channel.requests().write(Frames.STOP, sendBuffer, 0, 0)) {
                        wake(c);
                        stopped = c.process.waitFor(1, TimeUnit.SECONDS);
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
        }
        c.channel.deleteFile();
    }

    /** One child JVM and its channel. */
    static final class Child {
        final Process process;
        final ChannelFile channel;
        /** The shared rings' sender and reader when the child runs several requests at once, else null. */
        final ChildMux mux;
        /** The version id it announced when ready; set by the turn's holder. */
        volatile String version;

        /** The child's stdin: wake-up bytes. */
        final OutputStream wake;

        Child(Process process, ChannelFile channel, ChildMux mux) {
            this.process = process;
            this.channel = channel;
            this.mux = mux;
            this.wake = process.getOutputStream();
        }
    }
}
