package dev.ringfence.agent.process;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.ExpandableArrayBuffer;

/**
 * The host's one generic spare child of the process tier: a child JVM started from the agent jar
 * with {@link WorkerSpec.Caps#DEFAULT} caps, warmed (it ran the agent's request path through a
 * tiny built-in handler, see {@link SpareLoop}) and holding no handler. A worker that needs a child
 * ({@link WorkerProcess#takeSparesFrom}) takes it when the caps match, hands it its version in a
 * {@code LOAD} message and waits for it to announce ready as any child does; a new spare is then
 * started behind it, off the taker's thread.
 *
 * <p>Assumptions and guarantees: nothing starts until {@link #prime} (the first route on the
 * process tier calls it), so a server with in-process routes only starts no child JVM. At most one
 * spare runs at a time. A spare is taken only once it announced itself warm; a starting one is
 * left alone (the taker starts cold). The spare watches its parent and halts when the host dies;
 * {@link #stop} and {@link #close} kill it and its descendants. Only caps are compared: a route
 * with other caps, or one whose children need other JVM options, starts cold. Thread-safe: every
 * state change is under this object's monitor; starting a process runs on one daemon thread.
 */
public final class SpareChild implements AutoCloseable {
    private static final AtomicLong CHANNELS = new AtomicLong();

    private final Path workDir;
    private final ProcessBuilder.Redirect stderr;
    private final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    /**
     * How long after a take the next spare starts: a JVM starting takes both cores of a small
     * machine for a few hundred milliseconds, just when the spare taken is opening its version and
     * answering its first request. (Measured: the first request at zero took 40-54 ms at p50 with
     * the next spare starting at once.)
     */
    static final long NEXT_SPARE_DELAY_MILLIS = 1000;
    /** How long a kill waits for the spare to be gone before it deletes the spare's files. */
    private static final long EXIT_WAIT_MILLIS = 2000;

    private final ScheduledThreadPoolExecutor starter = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "ringfence-spare-starter");
        t.setDaemon(true);
        return t;
    });

    {
        starter.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // a delayed start dies with close
    }

    // guarded by this
    private WorkerSpec template;
    private Process process;
    private ChannelFile channel;
    private boolean starting;
    private boolean closed;
    private long started;
    private long taken;

    /** A spare handed to a worker: it is loading the worker's version (see {@link WorkerProcess#startWith}). */
    public record Taken(Process process, ChannelFile channel) {
        /** Kills a spare taken and never handed to a worker, and deletes its channel file. */
        public void discard() {
            killAndDelete(process, channel);
        }
    }

    /**
     * @param workDir where the spares' channel files go
     * @param stderr where the spares' stderr goes
     */
    public SpareChild(Path workDir, ProcessBuilder.Redirect stderr) {
        this.workDir = workDir;
        this.stderr = stderr;
    }

    /**
     * Keeps a spare ready from now on (starts one unless one runs or is starting).
     *
     * @param spec a worker's spec: the agent jar and ring capacity the spares use (their caps are
     *     the default ones, whatever this spec's)
     */
    public synchronized void prime(WorkerSpec spec) {
        if (closed) {
            return;
        }
        if (template == null) {
            template = spec.withCaps(WorkerSpec.Caps.DEFAULT);
        }
        startBehind();
    }

    /**
     * Takes the warm spare for a worker, when there is one and its caps and ring capacity are the
     * spec's: sends it the version to load and starts the next spare behind it.
     *
     * @param spec what the worker's child runs
     * @param concurrency requests the child is to run at once
     * @return the spare, loading the spec's version; null when none fits or none is warm
     */
    public synchronized Taken take(WorkerSpec spec, int concurrency) {
        if (closed || template == null) {
            return null;
        }
        Process p = process;
        ChannelFile c = channel;
        if (p == null || !p.isAlive()) {
            startBehind();
            return null;
        }
        if (!spec.caps().equals(template.caps()) || spec.ringCapacity() != template.ringCapacity()
                || spec.tmpDir() != null || !spec.properties().isEmpty() // a spare has the system's tmpdir, no more properties
                || c.state() != ChannelFile.STATE_SPARE) {
            return null;
        }
        ExpandableArrayBuffer load = new ExpandableArrayBuffer(1024);
        List<String> args = new ArrayList<>(spec.handlerArgs());
        args.addAll(WorkerProcess.concurrencyArgs(concurrency));
        int length = Frames.encodeLoad(load, args);
        if (length > c.requests().maxMsgLength() || !c.requests().write(Frames.LOAD, load, 0, length)) {
            return null;
        }
        process = null;
        channel = null;
        taken++;
        wake(p, c);
        startBehind(NEXT_SPARE_DELAY_MILLIS);
        return new Taken(p, c);
    }

    /** Wakes a spare asleep on its stdin; the fence orders the ring write before the look. */
    private static void wake(Process p, ChannelFile c) {
        VarHandle.fullFence();
        if (c.childSleeping()) {
            try {
                OutputStream out = p.getOutputStream();
                out.write(1);
                out.flush();
            } catch (IOException e) {
                // it died: the taker sees that
            }
        }
    }

    /** Starts the next spare on the starter thread, unless one runs or is starting. Caller holds this. */
    private void startBehind() {
        startBehind(0);
    }

    /** {@link #startBehind()} after a delay. Caller holds this. */
    private void startBehind(long delayMillis) {
        if (closed || starting || (process != null && process.isAlive())) {
            return;
        }
        starting = true;
        WorkerSpec spec = template;
        starter.schedule(() -> launch(spec), delayMillis, TimeUnit.MILLISECONDS);
    }

    private void launch(WorkerSpec spec) {
        synchronized (this) {
            if (closed || template == null) { // closed or stopped while this start waited
                starting = false;
                return;
            }
        }
        ChannelFile c = null;
        Process p = null;
        try {
            Files.createDirectories(workDir);
            Path file = workDir.resolve("spare-" + ProcessHandle.current().pid() + "-" + CHANNELS.incrementAndGet()
                    + ".channel");
            c = ChannelFile.create(file, spec.ringCapacity());
            p = new ProcessBuilder(spec.spareCommand(java, file)).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(stderr).start();
        } catch (IOException | UncheckedIOException e) {
            if (c != null) {
                c.deleteFile();
            }
            System.err.println("ringfence: the spare worker JVM could not start: " + e.getMessage());
        }
        synchronized (this) {
            starting = false;
            if (p == null) {
                return; // the next take or prime tries again
            }
            if (!closed && template != null) {
                process = p;
                channel = c;
                started++;
                ChannelFile mine = c;
                p.onExit().thenRun(() -> exited(mine));
                return;
            }
        }
        killAndDelete(p, c); // closed or stopped meanwhile, outside the monitor: it waits for the exit
    }

    /**
     * A spare died (killed, or it failed its warm-up): its files go (a spare killed during its
     * warm-up leaves the warm-up's versions), and it is forgotten; the next take or prime starts another.
     */
    private void exited(ChannelFile c) {
        c.deleteFile();
        WorkersDirectories.deleteTree(WarmUp.dirOf(c.file()));
        synchronized (this) {
            if (channel == c) {
                process = null;
                channel = null;
            }
        }
    }

    /** @return the pid of the spare, running or starting, or -1 when there is none */
    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    /** @return whether a spare is warm and waiting */
    public synchronized boolean warm() {
        return process != null && process.isAlive() && channel.state() == ChannelFile.STATE_SPARE;
    }

    /** @return spares started so far */
    public synchronized long started() {
        return started;
    }

    /** @return spares taken by workers so far */
    public synchronized long taken() {
        return taken;
    }

    /**
     * Kills the spare; {@link #prime} starts one again. For when no route uses the process tier.
     */
    public void stop() {
        Process p;
        ChannelFile c;
        synchronized (this) {
            p = process;
            c = channel;
            process = null;
            channel = null;
            template = null;
        }
        if (p != null) {
            killAndDelete(p, c);
        }
    }

    /** Kills the spare and stops starting new ones; a spare still starting is killed when it is up. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        stop();
        starter.shutdown();
        try {
            starter.awaitTermination(5, TimeUnit.SECONDS); // a spare starting now is killed before this returns
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Kills a spare and deletes its files once it is gone (waiting at most {@value #EXIT_WAIT_MILLIS}
     * ms; a spare not gone by then leaves its warm-up's files to {@link #exited}, or to the next
     * server's sweep), before this returns: a server that stops removes its directory of children
     * right after.
     */
    private static void killAndDelete(Process p, ChannelFile c) {
        kill(p);
        try {
            p.waitFor(EXIT_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        c.deleteFile();
        if (!p.isAlive()) {
            WorkersDirectories.deleteTree(WarmUp.dirOf(c.file()));
        }
    }

    private static void kill(Process p) {
        List<ProcessHandle> below = p.descendants().toList();
        p.destroyForcibly();
        below.forEach(ProcessHandle::destroyForcibly);
    }
}
