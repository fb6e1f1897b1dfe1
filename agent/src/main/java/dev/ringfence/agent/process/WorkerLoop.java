package dev.ringfence.agent.process;

import dev.ringfence.agent.gates.Gates;
import dev.ringfence.agent.pipeline.ChildRoute;
import dev.ringfence.agent.pipeline.DeferredWork;
import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import dev.ringfence.limiter.HandedOffException;
import dev.ringfence.limiter.MeteredExecutor;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;

/**
 * The child's side of the process tier ({@code worker} verb): maps the channel, opens the one
 * handler version it serves, announces itself ready, and runs requests from the request ring
 * until a {@code STOP} message or until its parent (the host) is gone.
 *
 * <p>One serving thread, a host thread of the sandbox's executor, reads the request ring and runs
 * each request on itself ({@link MeteredExecutor#runHere}: no hand-off to a worker), under the
 * version's policy and the child's budgets with the wall budget the request brings. When a
 * handler trips and its thread has not left it a moment later, the executor's watchdog answers for
 * it: the response is then written from the watchdog's thread (writes are serialised), and the next
 * request waits in the ring until the serving thread is back. If it is not back a grace after the
 * trip, it is abandoned and the child halts ({@link #EXIT_THREAD_ABANDONED}): with its one serving
 * thread lost it can serve nothing more, and the host replaces it.
 * A daemon thread checks every {@value #PARENT_CHECK_MILLIS} ms that the parent still lives and
 * halts the JVM when it does not; another reports this JVM's memory to the host every five seconds
 * ({@link MemoryReporter}). An answer {@code NATIVE_EXCEEDED} asks the host to replace the child
 * (flag recycle): what the handler reserved outside the heap may still be held.
 *
 * <p>Deferred work runs here too ({@link ChildRoute}): a request's is handed over only after its
 * response frame was written, which carries the child's deferred counts; each piece's end goes to
 * the host as a {@link Frames#DEFERRED} message on the response ring (waiting for room, never
 * dropped). A {@code STOP} drains it ({@link ChildRoute#drain}) before the child exits.
 *
 * <p>Waiting for a request the serving thread spins briefly, then yields, then parks for up to
 * {@value #MAX_PARK_MICROS} µs, so a request to a busy child is picked up within microseconds.
 * After 50 ms without a request it sleeps in a blocking read of its stdin, which the host writes
 * a byte to when it sends a request to a sleeping child: an idle child uses no CPU, and the first
 * request after a pause pays one pipe wake-up. (A handler that reads stdin could take that byte;
 * its child would then sleep until the host's deadline kills it.)
 */
public final class WorkerLoop {
    /** Exit code when the loop was told to stop. */
    public static final int EXIT_STOPPED = 0;
    /** Exit code when the handler could not be opened (the reason is in the channel's header). */
    public static final int EXIT_START_FAILED = 2;
    /** Exit code when the parent died. */
    public static final int EXIT_PARENT_GONE = 3;
    /**
     * Exit code after the serving thread was abandoned in a handler (still there a grace after its
     * trip): a child with one serving thread can serve no more, so it ends and the host replaces it.
     */
    public static final int EXIT_THREAD_ABANDONED = 4;

    static final long PARENT_CHECK_MILLIS = 100;
    static final long MAX_PARK_MICROS = 1000;
    /** How long an idle child polls the ring before it sleeps until the host wakes it through stdin. */
    static final long DEEP_SLEEP_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final ChannelFile channel;
    private final ChildRoute route;
    private final Budgets budgets;
    private final MeteredExecutor executor;
    private final ExpandableArrayBuffer in = new ExpandableArrayBuffer(4096);
    private final ExpandableArrayBuffer out = new ExpandableArrayBuffer(4096);
    private final Object sending = new Object();
    private final MessageHandler copyIn = this::copyIn;
    private final FileInputStream wakeUps = new FileInputStream(FileDescriptor.in);
    private final byte[] wakeBytes = new byte[64];
    private int inType;
    /** Whether the serving thread sleeps on stdin after a while without requests (not in a warm-up). */
    private boolean deepSleep = true;
    /** With {@code concurrency} above 1: the requests the ring's reader hands to the serving threads, else null. */
    private BlockingQueue<Frames.RequestFrame> fanOut;

    /** The pipe to the host when serving over stdin/stdout (the benchmarks' baseline), else null. */
    private final DataOutputStream pipeOut;

    private WorkerLoop(ChannelFile channel, DataOutputStream pipeOut, ChildRoute route, Budgets budgets,
            MeteredExecutor executor) {
        this.channel = channel;
        this.pipeOut = pipeOut;
        this.route = route;
        this.budgets = budgets;
        this.executor = executor;
    }

    /**
     * Serves a channel until told to stop or the parent is gone.
     *
     * @param channelFile the channel file the host created
     * @param budgets the CPU, fuel and allocation budgets of every request (its wall budget is the request's)
     * @param executor the sandbox's executor
     * @param open opens the route; a {@link RuntimeException}'s message says why it could not
     * @param err where to report
     * @return the exit code: {@link #EXIT_STOPPED}, {@link #EXIT_START_FAILED}
     */
    public static int serve(Path channelFile, Budgets budgets, MeteredExecutor executor,
            Supplier<ChildRoute> open, PrintStream err) {
        return serve(channelFile, budgets, executor, open, err, 1);
    }

    /**
     * Like {@link #serve(Path, Budgets, MeteredExecutor, Supplier, PrintStream)}, running up to
     * {@code concurrency} requests at once: above 1, one thread reads the request ring and hands
     * each request to {@code concurrency} serving threads (host threads of the executor), whose
     * answers are written one at a time; a serving thread abandoned in a handler still halts the
     * child ({@link #EXIT_THREAD_ABANDONED}).
     *
     * @param channelFile the channel file the host created
     * @param budgets the CPU, fuel and allocation budgets of every request
     * @param executor the sandbox's executor
     * @param open opens the route
     * @param err where to report
     * @param concurrency requests run at once, 1 or more
     * @return the exit code
     */
    public static int serve(Path channelFile, Budgets budgets, MeteredExecutor executor,
            Supplier<ChildRoute> open, PrintStream err, int concurrency) {
        Thread primer = new Thread(new FirstRequestPrimer(executor), "ringfence-prime-serving");
        primer.setDaemon(true);
        primer.start(); // beside the channel's mapping and the version's opening
        ChannelFile channel = ChannelFile.open(channelFile);
        watchParent(err);
        return serveOpen(channel, budgets, executor, open, err, concurrency);
    }

    /**
     * Readies what a child's first request would otherwise build on its own path: the executor's
     * hand-off to the serving thread and the gates' caller checks. A class, not a lambda: the
     * start-up cache's archive holds the classes a child loads on its way to ready, and a lambda
     * proxy only where the recording JVM ran the call site.
     */
    private static final class FirstRequestPrimer implements Runnable {
        private final MeteredExecutor executor;

        FirstRequestPrimer(MeteredExecutor executor) {
            this.executor = executor;
        }

        @Override
        public void run() {
            executor.prepareHandOff();
            Gates.primeCallerChecks();
        }
    }

    /** {@link #serve} on a channel mapped already, its parent watched (a spare's, see {@link SpareLoop}). */
    static int serveOpen(ChannelFile channel, Budgets budgets, MeteredExecutor executor,
            Supplier<ChildRoute> open, PrintStream err, int concurrency) {
        return serveOpen(channel, budgets, executor, open, err, concurrency, false);
    }

    /**
     * A spare's warm-up round ({@link WarmUp}): {@link #serveOpen} on a channel whose other end is
     * in this JVM, one request at a time, never asleep on stdin (nobody would wake it); after the
     * {@code STOP} the route is closed and the memory reports stop.
     */
    static int serveForWarmUp(ChannelFile channel, Budgets budgets, MeteredExecutor executor,
            Supplier<ChildRoute> open, PrintStream err) {
        return serveOpen(channel, budgets, executor, open, err, 1, true);
    }

    private static int serveOpen(ChannelFile channel, Budgets budgets, MeteredExecutor executor,
            Supplier<ChildRoute> open, PrintStream err, int concurrency, boolean warmUp) {
        ChildRoute route;
        try {
            route = open.get();
        } catch (RuntimeException e) {
            channel.markFailed(e.getMessage() == null ? e.toString() : e.getMessage());
            err.println("ringfence worker: " + e.getMessage());
            return EXIT_START_FAILED;
        }
        WorkerLoop loop = new WorkerLoop(channel, null, route, budgets, executor);
        loop.deepSleep = !warmUp;
        route.forwardTo(loop::sendDeferred);
        Thread serving = executor.hostThreads("ringfence-worker-").newThread(loop::run);
        if (concurrency > 1) {
            loop.fanOut = new LinkedBlockingQueue<>();
            for (int i = 0; i < concurrency; i++) {
                Thread t = executor.hostThreads("ringfence-worker-" + i + "-").newThread(loop::serveFanOut);
                t.setDaemon(true);
                t.start();
            }
        }
        // announced before the serving thread starts: a request a spare found behind its LOAD
        // message is answered only after the host can see which version answers it
        channel.markReady(route.version().shortId());
        serving.start();
        MemoryReporter.reportTo(loop::offerReport);
        try {
            serving.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (warmUp) {
            MemoryReporter.reportTo(null);
            route.close();
        }
        return EXIT_STOPPED;
    }

    /**
     * Serves the same frames over this process's stdin and stdout instead of a channel file: each
     * message is an int type, an int length and the bytes ({@link Frames}); first a
     * {@link Frames#READY} (the version id) or {@link Frames#FAILED} (why) message. The measured
     * baseline of the ring channel ({@link PipeWorker}); the host cannot bound a blocking read by a
     * deadline without another thread, so serving does not use it.
     *
     * @param budgets the CPU, fuel and allocation budgets of every request
     * @param executor the sandbox's executor
     * @param open opens the route
     * @param err where to report
     * @return the exit code
     */
    public static int servePipes(Budgets budgets, MeteredExecutor executor, Supplier<ChildRoute> open,
            PrintStream err) {
        watchParent(err);
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16));
        DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(FileDescriptor.in), 1 << 16));
        ChildRoute route;
        try {
            route = open.get();
        } catch (RuntimeException e) {
            writeText(out, Frames.FAILED, String.valueOf(e.getMessage()));
            return EXIT_START_FAILED;
        }
        writeText(out, Frames.READY, route.version().shortId());
        WorkerLoop loop = new WorkerLoop(null, out, route, budgets, executor);
        Thread serving = executor.hostThreads("ringfence-worker-").newThread(() -> loop.runPipes(in));
        serving.start();
        try {
            serving.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return EXIT_STOPPED;
    }

    private static void writeText(DataOutputStream out, int type, String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        try {
            out.writeInt(type);
            out.writeInt(utf8.length);
            out.write(utf8);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void runPipes(DataInputStream pipeIn) {
        try {
            while (true) {
                int type = pipeIn.readInt();
                int length = pipeIn.readInt();
                byte[] payload = new byte[length];
                pipeIn.readFully(payload);
                if (type == Frames.STOP) {
                    route.drain();
                    return;
                }
                if (type == Frames.REQUEST) {
                    handle(Frames.decodeRequest(new UnsafeBuffer(payload), 0));
                }
            }
        } catch (IOException e) {
            // the host closed the pipe: done
        }
    }

    static void watchParent(PrintStream err) {
        Thread t = new Thread(new ParentWatch(ProcessHandle.current().parent(), err), "ringfence-worker-parent-watch");
        t.setDaemon(true);
        t.start();
    }

    /** Halts this child once its parent is gone. A class, not a lambda: see {@link FirstRequestPrimer}. */
    private static final class ParentWatch implements Runnable {
        private final Optional<ProcessHandle> parent;
        private final PrintStream err;

        ParentWatch(Optional<ProcessHandle> parent, PrintStream err) {
            this.parent = parent;
            this.err = err;
        }

        @Override
        public void run() {
            while (parent.isPresent() && parent.get().isAlive()) {
                try {
                    Thread.sleep(PARENT_CHECK_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
            err.println("ringfence worker: the parent process is gone; exiting");
            err.flush();
            // halt, not exit: a handler thread stuck in a lock must not hold the JVM up
            Runtime.getRuntime().halt(EXIT_PARENT_GONE);
        }
    }

    private void run() {
        OneToOneRingBuffer requests = channel.requests();
        IdleStrategy idle = idleStrategy();
        long idleSince = 0;
        while (true) {
            inType = 0;
            int n = requests.read(copyIn, 1);
            if (n == 0) {
                long now = System.nanoTime();
                if (idleSince == 0) {
                    idleSince = now;
                } else if (deepSleep && now - idleSince > DEEP_SLEEP_AFTER_NANOS) {
                    sleepUntilWoken();
                    idleSince = 0;
                    idle.reset();
                    continue;
                }
                idle.idle();
                continue;
            }
            idleSince = 0;
            idle.reset();
            if (inType == Frames.STOP) {
                // the host reads the response ring until this child exits: what drains is reported
                route.drain();
                return;
            }
            if (inType == Frames.REQUEST) {
                if (fanOut != null) {
                    fanOut.add(Frames.decodeRequest(in, 0));
                } else {
                    handle(Frames.decodeRequest(in, 0));
                }
            }
        }
    }

    /** A serving thread when several run: takes the reader's requests one by one. */
    private void serveFanOut() {
        try {
            while (true) {
                handle(fanOut.take());
            }
        } catch (InterruptedException e) {
            // the JVM is ending
        }
    }

    /**
     * Blocks on stdin until the host writes a wake-up byte: an idle child then costs nothing.
     * Announce first, then look at the ring once more: the host writes the ring, fences, then
     * reads the announcement, so one of the two sees the other. A stray byte only wakes it early.
     */
    private void sleepUntilWoken() {
        sleepUntilWoken(channel, wakeUps, wakeBytes);
    }

    static void sleepUntilWoken(ChannelFile channel, FileInputStream wakeUps, byte[] wakeBytes) {
        channel.sleeping(true);
        try {
            if (channel.requests().size() > 0) {
                return;
            }
            if (wakeUps.read(wakeBytes) < 0) {
                Runtime.getRuntime().halt(EXIT_PARENT_GONE); // stdin closed: the host is gone
            }
        } catch (IOException e) {
            Runtime.getRuntime().halt(EXIT_PARENT_GONE);
        } finally {
            channel.sleeping(false);
        }
    }

    /** Copies a message out, so the ring's space is released before the handler runs. */
    private void copyIn(int type, MutableDirectBuffer buffer, int index, int length) {
        inType = type;
        in.putBytes(0, buffer, index, length);
    }

    private void handle(Frames.RequestFrame f) {
        long wall = Math.max(1, f.wallNanos());
        Budgets b = new Budgets(wall, budgets.cpuNanos(), budgets.fuel(), budgets.allocBytes(), budgets.nativeBytes());
        ChildRoute.Call call = route.call(f.request().requestId());
        InvocationResult r;
        try {
            // answered by the watchdog a moment after a trip while this thread was still in the handler:
            // late, not lost; the child stays, and the next request waits until this thread is back
            r = call.attempt(f.request(), b, given -> answer(f.frameId(), given, call),
                    lost -> Runtime.getRuntime().halt(EXIT_THREAD_ABANDONED));
        } catch (HandedOffException e) {
            return; // answered by the watchdog already
        }
        answer(f.frameId(), r, call);
    }

    /** Sends the response, then hands the request's deferred work over: phase 2 after phase 1. */
    private void answer(long frameId, InvocationResult r, ChildRoute.Call call) {
        try {
            send(frameId, 0, r, call);
        } finally {
            call.release();
        }
    }

    /**
     * Reports a piece of deferred work's end to the host, waiting for room in the ring (the host
     * reads it while requests run, every half second between them, and until this child exits
     * after a {@code STOP}): a report is never dropped, so the host's counts stay whole.
     */
    private void sendDeferred(DeferredWork.Ended e) {
        synchronized (sending) {
            long[] c = route.counts();
            int length = Frames.encodeDeferred(out, e, new Frames.DeferredCounts(c[0], c[1]));
            IdleStrategy idle = idleStrategy();
            while (!channel.responses().write(Frames.DEFERRED, out, 0, length)) {
                idle.idle();
            }
        }
    }

    /**
     * Offers a memory report to the host, once: dropped when the ring has no room, so it never
     * holds up an answer (writes are serialised with the answers').
     */
    private boolean offerReport(org.agrona.DirectBuffer report, int length) {
        synchronized (sending) {
            return channel.responses().write(Frames.REPORT, report, 0, length);
        }
    }

    private void send(long frameId, int flags, InvocationResult r, ChildRoute.Call call) {
        if (r.outcome() == Outcome.NATIVE_EXCEEDED) {
            // what it reserved may still be held (a static list, a buffer not yet collected): start afresh
            flags |= Frames.FLAG_RECYCLE;
        }
        synchronized (sending) {
            // taken under the lock that orders frames: the host applies the counts in ring order
            long[] c = call.countsAfterRelease();
            Frames.DeferredCounts counts = new Frames.DeferredCounts(c[0], c[1]);
            int length = Frames.encodeResponse(out, frameId, flags, r, counts);
            int max = channel != null ? channel.responses().maxMsgLength() : Integer.MAX_VALUE;
            if (length > max) {
                InvocationResult tooLarge = new InvocationResult(r.requestId(), Outcome.ERROR, null,
                        "the response takes " + length + " bytes framed, more than the child channel's bound of " + max
                                + " bytes",
                        r.wallNanos(), r.cpuNanos(), r.allocatedBytes(), r.fuel(), r.version(), r.abandoned());
                length = Frames.encodeResponse(out, frameId, flags, tooLarge, counts);
            }
            if (pipeOut != null) {
                try {
                    pipeOut.writeInt(Frames.RESPONSE);
                    pipeOut.writeInt(length);
                    pipeOut.write(out.byteArray(), 0, length);
                    pipeOut.flush();
                } catch (IOException e) {
                    Runtime.getRuntime().halt(EXIT_PARENT_GONE); // the host closed the pipe
                }
                return;
            }
            // one request at a time, so the ring always has room for its answer; spin if the host lags
            IdleStrategy idle = idleStrategy();
            while (!channel.responses().write(Frames.RESPONSE, out, 0, length)) {
                idle.idle();
            }
        }
    }

    /**
     * Spin about ten thousand times, yield a hundred times, then park from 1 µs doubling up to
     * {@value #MAX_PARK_MICROS} µs.
     *
     * @return a fresh idle strategy
     */
    static IdleStrategy idleStrategy() {
        return new BackoffIdleStrategy(10_000, 100, TimeUnit.MICROSECONDS.toNanos(1),
                TimeUnit.MICROSECONDS.toNanos(MAX_PARK_MICROS));
    }
}
