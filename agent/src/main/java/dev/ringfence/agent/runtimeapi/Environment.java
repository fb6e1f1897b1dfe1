package dev.ringfence.agent.runtimeapi;

import com.sun.net.httpserver.HttpServer;
import dev.ringfence.agent.log.EventLog;
import dev.ringfence.agent.pipeline.Backoff;
import dev.ringfence.api.Outcome;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One execution environment of a provided runtime: one bootstrap process at a time, and the runtime
 * API server only it is told about ({@code AWS_LAMBDA_RUNTIME_API}), on loopback, on a port of its
 * own, so every call to it is known to come from this environment. It runs one invocation at a time
 * (Lambda's concurrency of 1 per environment).
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>Each bootstrap process is a <em>generation</em>. A call to the API is served for the
 *       generation current when it arrived; a long poll on {@code /next} of a generation that died
 *       ends without taking an invocation, so none is handed to a process that is gone.</li>
 *   <li>A bootstrap that exits while it holds an invocation answers it {@code CRASHED}. One that
 *       exits (or posts {@code /init/error}) is started again after a backoff that grows with
 *       consecutive failures (reset once a bootstrap asks for work); one killed for a deadline is
 *       started again at once. Whatever an exited bootstrap left running in its process group is
 *       killed.</li>
 *   <li>One that hangs between invocations (it answered and never asked again) is killed when an
 *       invocation waited its whole deadline for it ({@link #killIfStalled}); until then the pool
 *       does not count it as free after {@link #BACK_SOON_NANOS}, so it may grow past it.</li>
 *   <li>{@link #kill} and {@link #close} kill the bootstrap's whole process group (with
 *       {@code setsid}, see {@link BootstrapCommand}) and every descendant found, then the bootstrap.
 *       {@link #close} also stops the server and waits, within a bound, for the process to be gone.</li>
 *   <li>Thread-safe: the state is guarded by this object's monitor; the process is never started or
 *       killed while holding it longer than the call takes.</li>
 * </ul>
 */
final class Environment implements AutoCloseable {
    private static final ScheduledExecutorService RESTARTS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ringfence-bootstrap-restarts");
        t.setDaemon(true);
        return t;
    });
    /** How soon a bootstrap that answered is expected to ask for the next invocation. */
    static final long BACK_SOON_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int KEPT_OUTPUT_LINES = 8;
    private static final int MAX_LINE_CHARS = 4096;

    private final ProvidedRuntime pool;
    private final int index;
    private final HttpServer server;
    private final ExecutorService serverThreads;
    private final Backoff backoff = Backoff.withThreadLocalRandom(TimeUnit.MILLISECONDS.toNanos(100), TimeUnit.SECONDS.toNanos(5));
    private final CompletableFuture<String> firstStart = new CompletableFuture<>();
    private final Deque<String> lastOutput = new ArrayDeque<>();
    private final AtomicInteger started = new AtomicInteger();

    // guarded by this
    private Process process;
    private int generation;
    private boolean initialized;
    private Invocation current;
    private int pollingGeneration = -1;
    private String killedBecause;
    private String initError;
    private int failures;
    private boolean closed;
    /** When the bootstrap last did something that should be followed by a {@code /next}: started, or answered. */
    private long sinceNanos;

    Environment(ProvidedRuntime pool, int index) throws IOException {
        this.pool = pool;
        this.index = index;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 16);
        this.serverThreads = Executors.newFixedThreadPool(3, r -> {
            Thread t = new Thread(r, "ringfence-runtime-api-" + pool.route() + "-" + index);
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(serverThreads);
        server.createContext("/", new RuntimeApi(this));
        server.start();
    }

    /** @return {@code 127.0.0.1:port}: what the bootstrap is told in {@code AWS_LAMBDA_RUNTIME_API} */
    String apiAddress() {
        return server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
    }

    /** @return the ARN the function is told it was invoked as */
    String functionArn() {
        return BootstrapCommand.functionArn(pool.route());
    }

    /** @return completes with null once the first bootstrap asked for work, or with why it failed first */
    CompletableFuture<String> firstStart() {
        return firstStart;
    }

    /** @return the pid of the bootstrap running now, or -1 */
    synchronized long pid() {
        return process != null && process.isAlive() ? process.pid() : -1;
    }

    /** @return bootstraps started so far */
    int started() {
        return started.get();
    }

    /**
     * @return whether it can take an invocation soon: waiting on {@code /next}, starting, or having
     *     answered less than {@link #BACK_SOON_NANOS} ago (one quiet for longer is not counted, so the
     *     pool grows past a bootstrap that hangs between invocations)
     */
    synchronized boolean free() {
        return !closed && current == null && (pollingGeneration == generation || !initialized
                || System.nanoTime() - sinceNanos < BACK_SOON_NANOS);
    }

    /**
     * Kills a bootstrap that holds no invocation and has not asked for one for longer than a bound
     * since it started or last answered: one that hangs between invocations would otherwise keep its
     * place in the pool forever, never reaching a deadline of its own. A new one starts at once.
     *
     * @param initNanos the bound for a bootstrap that has not asked for work yet
     * @param idleNanos the bound for one that has answered and not asked again
     * @return whether it was killed
     */
    boolean killIfStalled(long initNanos, long idleNanos) {
        synchronized (this) {
            long quiet = System.nanoTime() - sinceNanos;
            if (closed || process == null || current != null || pollingGeneration == generation
                    || quiet < (initialized ? idleNanos : initNanos)) {
                return false;
            }
        }
        return kill("stalled: it neither held an invocation nor asked for one") > 0;
    }

    /** Starts a bootstrap (a new generation). */
    void start() {
        Process p;
        int gen;
        synchronized (this) {
            if (closed) {
                return;
            }
            gen = ++generation;
            initialized = false;
            sinceNanos = System.nanoTime();
            killedBecause = null;
            initError = null;
            ProcessBuilder pb = new ProcessBuilder(BootstrapCommand.command(pool.bootstrap(), pool.memoryBytes()))
                    .directory(pool.folder().toFile()).redirectErrorStream(true);
            pb.environment().clear();
            pb.environment().putAll(pool.environment(apiAddress()));
            try {
                p = pb.start();
            } catch (IOException e) {
                String why = "cannot start " + pool.bootstrap() + ": " + e.getMessage();
                pool.logEvent("bootstrap-failed", -1, why);
                failures++;
                firstStart.complete(why);
                RESTARTS.schedule(this::start, delay(), TimeUnit.NANOSECONDS);
                return;
            }
            process = p;
            started.incrementAndGet();
        }
        Thread pump = new Thread(() -> pump(p), "ringfence-bootstrap-output-" + pool.route() + "-" + index);
        pump.setDaemon(true);
        pump.start();
        p.onExit().thenRun(() -> exited(p, gen));
    }

    /** Copies the bootstrap's output to the log, a line per event; keeps the last lines for a failure's message. */
    private void pump(Process p) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.length() > MAX_LINE_CHARS) {
                    line = line.substring(0, MAX_LINE_CHARS) + "…";
                }
                synchronized (lastOutput) {
                    if (lastOutput.size() == KEPT_OUTPUT_LINES) {
                        lastOutput.removeFirst();
                    }
                    lastOutput.addLast(line);
                }
                pool.output(p.pid(), line);
            }
        } catch (IOException e) {
            // the process is gone: its exit is handled by exited()
        }
    }

    private void exited(Process p, int gen) {
        Invocation lost;
        String why;
        boolean restartNow;
        synchronized (this) {
            if (gen != generation) {
                return;
            }
            lost = current;
            current = null;
            process = null;
            why = initError != null ? "the bootstrap reported an init error: " + initError
                    : killedBecause != null ? killedBecause
                    : "the bootstrap exited with status " + p.exitValue() + output();
            restartNow = killedBecause != null && initError == null;
            if (!restartNow) {
                failures++;
            }
            firstStart.complete(why);
            if (closed) {
                return;
            }
        }
        BootstrapCommand.killGroup(p.pid()); // whatever it started and left behind
        if (lost != null) {
            lost.answer(new Invocation.Answer(Outcome.CRASHED, null, why + " during invocation " + lost.awsRequestId));
        }
        pool.logEvent(restartNow ? "bootstrap-replaced" : "bootstrap-exited", p.pid(), why);
        if (restartNow) {
            start();
        } else {
            RESTARTS.schedule(this::start, delay(), TimeUnit.NANOSECONDS);
        }
    }

    /** The wait before the next start: half the backoff's ceiling plus a jittered half, so it grows. */
    private synchronized long delay() {
        int retry = Math.max(0, failures - 1);
        return backoff.ceilingNanos(retry) / 2 + backoff.delayNanos(retry) / 2;
    }

    private String output() {
        synchronized (lastOutput) {
            return lastOutput.isEmpty() ? "" : "; its last output: " + String.join(" | ", lastOutput);
        }
    }

    /**
     * Serves a long poll on {@code /next}: waits for an invocation of the runtime's queue while this
     * generation lives.
     *
     * @return the invocation taken, or null when the generation died or the environment closed
     * @throws IllegalStateException when this generation already has a poll waiting
     * @throws InterruptedException when the server stops
     */
    Invocation next() throws InterruptedException {
        int gen;
        Invocation unanswered;
        synchronized (this) {
            gen = generation;
            if (pollingGeneration == gen) {
                throw new IllegalStateException("another /next of this runtime is already waiting");
            }
            pollingGeneration = gen;
            unanswered = current;
            current = null;
            if (!initialized && process != null) {
                initialized = true;
                failures = 0;
            }
        }
        firstStart.complete(null);
        if (unanswered != null) {
            unanswered.answer(new Invocation.Answer(Outcome.ERROR, null, "the bootstrap asked for the next invocation"
                    + " without answering " + unanswered.awsRequestId));
        }
        try {
            while (true) {
                Invocation inv = pool.poll(100);
                synchronized (this) {
                    boolean live = !closed && gen == generation && process != null;
                    if (inv != null && live && inv.take(this)) {
                        current = inv;
                        return inv;
                    }
                    if (inv != null && inv.queued()) {
                        pool.requeue(inv); // not ours to take: back at the head
                    }
                    if (!live) {
                        return null;
                    }
                }
            }
        } finally {
            synchronized (this) {
                if (pollingGeneration == gen) {
                    pollingGeneration = -1;
                }
            }
        }
    }

    /**
     * @param awsRequestId the id a call named
     * @return the invocation this environment holds under that id, or null
     */
    synchronized Invocation holding(String awsRequestId) {
        return current != null && current.awsRequestId.equals(awsRequestId) ? current : null;
    }

    /** Lets go of an invocation once answered: the bootstrap is free for the next. */
    synchronized void release(Invocation inv) {
        if (current == inv) {
            current = null;
            sinceNanos = System.nanoTime();
        }
    }

    /**
     * Takes {@code /init/error}: the bootstrap is killed and started again after a backoff.
     *
     * @param message what the bootstrap said
     * @return false when the bootstrap had already initialised (asked for work), which the API refuses
     */
    boolean initError(String message) {
        synchronized (this) {
            if (initialized || process == null) {
                return false;
            }
            initError = message;
        }
        RESTARTS.schedule(() -> kill(null), 20, TimeUnit.MILLISECONDS); // once the 202 is out
        return true;
    }

    /**
     * Kills the bootstrap holding an invocation whose deadline passed; a new one starts at once.
     *
     * @param inv the invocation
     * @param why what to log
     * @return the pid killed, or -1 when this environment no longer held the invocation
     */
    long killFor(Invocation inv, String why) {
        synchronized (this) {
            if (current != inv || process == null) {
                return -1;
            }
        }
        return kill(why);
    }

    /** Kills the process tree of the current bootstrap; {@code why} null keeps an init error's reason. */
    private long kill(String why) {
        Process p;
        synchronized (this) {
            p = process;
            if (p == null) {
                return -1;
            }
            if (why != null) {
                killedBecause = why;
            }
        }
        BootstrapCommand.killTree(p);
        return p.pid();
    }

    /** Stops the bootstrap for good, and the server; waits up to two seconds for the process to be gone. */
    @Override
    public void close() {
        Process p;
        Invocation held;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            p = process;
            held = current;
            current = null;
        }
        if (held != null) {
            held.answer(new Invocation.Answer(Outcome.ERROR, null, "the route's version was retired"));
        }
        if (p != null) {
            BootstrapCommand.killTree(p);
            try {
                p.onExit().get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                // still there after the kill: reported by the caller's own checks, nothing more to do
            }
        }
        server.stop(0);
        serverThreads.shutdownNow();
        firstStart.complete("the route's version was retired");
    }
}
