package dev.ringfence.agent.runtimeapi;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.agent.pipeline.RouteSettings;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.loader.HandlerVersion;
import dev.ringfence.loader.VersionException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.LinkedBlockingDeque;

/**
 * One version of a {@code runtime=provided} route: its {@code bootstrap} run as Lambda runs a custom
 * runtime, in a pool of {@link Environment}s (a bootstrap process and its own runtime API server
 * each), fed from one queue. What the version's leases carry instead of an in-process handler;
 * closed, its bootstraps killed, when the version retires (replaced, parked for idleness, or removed).
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>{@link #open} starts {@code pool.min} bootstraps and returns once each has asked for work
 *       ({@code GET /next}), so a version goes live only when it can serve; a bootstrap that is
 *       missing, not executable, exits or posts {@code /init/error} first fails the update, and the
 *       previous version keeps serving.</li>
 *   <li>{@link #attempt} queues the request as an event ({@link HttpApiEvent}); a waiting bootstrap
 *       takes it. When every environment is busy and fewer than {@code pool.max} exist, one more is
 *       started. Environments are not retired one by one: the pool shrinks to nothing when the
 *       route is parked after {@code idle}.</li>
 *   <li>The deadline: an invocation no bootstrap took in time ends {@code TIMEOUT} without a kill;
 *       one a bootstrap holds ends {@code TIMEOUT}, that bootstrap's process tree is killed and a
 *       new one started. A bootstrap that dies holding one ends it {@code CRASHED}.</li>
 *   <li>An attempt's CPU time, allocation and fuel are not measured (reported as 0): the work
 *       happens in another process, whose own budgets are {@code timeout} and {@code memory}.</li>
 *   <li>Thread-safe: {@link #attempt} may be called from many threads at once.</li>
 * </ul>
 */
public final class ProvidedRuntime implements AutoCloseable {
    /** What {@code /status} and JMX call the tier of a provided route. */
    public static final String TIER = "provided";
    /** The executable a provided route's folder holds. */
    public static final String BOOTSTRAP = "bootstrap";
    /** How long the first bootstraps may take to ask for work before the update fails. */
    static final long READY_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final String route;
    private final String version;
    private final Path folder;
    private final RouteSettings settings;
    private final EventLog log;
    private final LinkedBlockingDeque<Invocation> queue = new LinkedBlockingDeque<>();
    private final List<Environment> environments = new ArrayList<>();
    private volatile boolean closed;

    private ProvidedRuntime(String route, String version, Path folder, RouteSettings settings, EventLog log) {
        this.route = route;
        this.version = version;
        this.folder = folder;
        this.settings = settings;
        this.log = log;
    }

    /**
     * What a provided version depends on besides its folder's content and policy: what its
     * bootstraps are started with, so a change of it starts new ones.
     *
     * @param s the route's settings
     * @return the variant
     */
    public static String variant(RouteSettings s) {
        return TIER + " handler=" + s.handler() + " memory=" + s.runtime().memoryBytes() + " pool=" + s.pool().min()
                + ".." + s.pool().max();
    }

    /**
     * Starts a version's first {@code pool.min} bootstraps and waits until each asks for work.
     *
     * @param route the route's name ({@code AWS_LAMBDA_FUNCTION_NAME})
     * @param version the version: its classpath's one element is the route's folder
     * @param s the route's settings
     * @param log where bootstraps' output, exits and replacements are logged
     * @return the runtime, ready
     * @throws VersionException when there is no executable bootstrap, or one failed to start
     */
    public static ProvidedRuntime open(String route, HandlerVersion version, RouteSettings s, EventLog log)
            throws VersionException {
        Path folder = version.classpath().get(0);
        Path bootstrap = folder.resolve(BOOTSTRAP);
        if (!Files.isRegularFile(bootstrap)) {
            throw new VersionException(VersionException.Reason.MISSING_PATH, "route " + route
                    + " has runtime=provided but its folder has no " + BOOTSTRAP + " file");
        }
        if (!Files.isExecutable(bootstrap)) {
            throw new VersionException(VersionException.Reason.UNREADABLE, bootstrap
                    + " is not executable (chmod +x it; its first line names its interpreter, as #!/bin/sh)");
        }
        ProvidedRuntime r = new ProvidedRuntime(route, version.shortId(), folder, s, log);
        String failure = null;
        try {
            List<Environment> first = new ArrayList<>();
            for (int i = 0; i < s.pool().min(); i++) {
                first.add(r.addEnvironment());
            }
            long until = System.nanoTime() + READY_NANOS;
            for (Environment e : first) {
                failure = e.firstStart().get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (failure != null) {
                    break;
                }
            }
        } catch (TimeoutException e) {
            failure = "no request for work (GET /2018-06-01/runtime/invocation/next) within "
                    + TimeUnit.NANOSECONDS.toSeconds(READY_NANOS) + " s";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "interrupted while it started";
        } catch (ExecutionException | IOException | RuntimeException e) {
            failure = String.valueOf(e);
        }
        if (failure != null) {
            r.close();
            throw new VersionException(VersionException.Reason.CONSTRUCTOR_FAILED, "the bootstrap of route " + route
                    + " did not start: " + failure);
        }
        return r;
    }

    /**
     * Runs one attempt of a request in a bootstrap.
     *
     * @param request the request
     * @param remainingNanos what is left of its deadline
     * @param timeoutNanos the route's whole deadline (named in a timeout's message)
     * @return how it ended, by the deadline: {@code OK} with the mapped result, {@code ERROR} (the
     *     function posted an error or a malformed result), {@code TIMEOUT} or {@code CRASHED}
     */
    public InvocationResult attempt(Request request, long remainingNanos, long timeoutNanos) {
        long start = System.nanoTime();
        if (closed) {
            return InvocationResult.refused(request.requestId(), Outcome.ERROR, null, "version " + version
                    + " of route " + route + " was retired", 0, version);
        }
        long now = System.currentTimeMillis();
        Invocation inv = new Invocation(UUID.randomUUID().toString(),
                HttpApiEvent.of(request, route, now).getBytes(StandardCharsets.UTF_8),
                now + TimeUnit.NANOSECONDS.toMillis(remainingNanos), traceId(now));
        queue.offer(inv);
        scaleUp();
        Invocation.Answer a;
        try {
            a = inv.await(remainingNanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            a = null;
        }
        if (a == null) {
            a = expire(inv, timeoutNanos);
        }
        return new InvocationResult(request.requestId(), a.outcome(), a.response(), a.message(),
                System.nanoTime() - start, 0, 0, 0, version, false);
    }

    /** The deadline passed: withdraw the invocation, or kill the bootstrap holding it. */
    private Invocation.Answer expire(Invocation inv, long timeoutNanos) {
        String deadline = "the deadline of " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms passed";
        if (inv.cancel()) {
            queue.remove(inv);
            killStalled(timeoutNanos);
            Invocation.Answer t = new Invocation.Answer(Outcome.TIMEOUT, null, deadline + " before a bootstrap was free");
            return inv.answer(t) ? t : inv.answerNow();
        }
        Invocation.Answer t = new Invocation.Answer(Outcome.TIMEOUT, null, deadline + "; the bootstrap was replaced");
        if (!inv.answer(t)) {
            return inv.answerNow(); // answered just in time
        }
        Environment e = inv.taker();
        long pid = e == null ? -1 : e.killFor(inv, "killed at the deadline of invocation " + inv.awsRequestId);
        return pid < 0 ? t : new Invocation.Answer(Outcome.TIMEOUT, null, deadline + "; the bootstrap (pid " + pid
                + ") was killed and is replaced");
    }

    /**
     * An invocation waited its whole deadline for a bootstrap: kill those that hang between
     * invocations (quiet for longer than that deadline) or at start (longer than {@link #READY_NANOS}).
     */
    private void killStalled(long timeoutNanos) {
        List<Environment> all;
        synchronized (environments) {
            all = new ArrayList<>(environments);
        }
        for (Environment e : all) {
            e.killIfStalled(READY_NANOS, timeoutNanos);
        }
    }

    /** Starts one more environment when the queue holds more invocations than there are free ones. */
    private void scaleUp() {
        synchronized (environments) {
            if (closed || environments.size() >= settings.pool().max()) {
                return;
            }
            int free = 0;
            for (Environment e : environments) {
                free += e.free() ? 1 : 0;
            }
            if (queue.size() <= free) {
                return;
            }
            try {
                addEnvironment();
            } catch (IOException e) {
                logEvent("bootstrap-failed", -1, "cannot open a runtime API server: " + e);
            }
        }
    }

    private Environment addEnvironment() throws IOException {
        synchronized (environments) {
            Environment e = new Environment(this, environments.size());
            environments.add(e);
            e.start();
            return e;
        }
    }

    /** @return the pids of the bootstraps running now */
    public List<Long> pids() {
        List<Long> out = new ArrayList<>();
        synchronized (environments) {
            for (Environment e : environments) {
                long pid = e.pid();
                if (pid > 0) {
                    out.add(pid);
                }
            }
        }
        return out;
    }

    /** @return bootstraps started for this version so far, replacements included */
    public long bootstrapsStarted() {
        long n = 0;
        synchronized (environments) {
            for (Environment e : environments) {
                n += e.started();
            }
        }
        return n;
    }

    /** Kills every bootstrap and stops their servers; invocations still queued end {@code ERROR}. Idempotent. */
    @Override
    public void close() {
        List<Environment> all;
        synchronized (environments) {
            closed = true;
            all = new ArrayList<>(environments);
        }
        for (Invocation inv; (inv = queue.poll()) != null;) {
            inv.answer(new Invocation.Answer(Outcome.ERROR, null, "version " + version + " of route " + route
                    + " was retired"));
        }
        all.forEach(Environment::close);
    }

    Invocation poll(long millis) throws InterruptedException {
        return queue.pollFirst(millis, TimeUnit.MILLISECONDS);
    }

    void requeue(Invocation inv) {
        queue.offerFirst(inv);
    }

    String route() {
        return route;
    }

    Path folder() {
        return folder;
    }

    Path bootstrap() {
        return folder.resolve(BOOTSTRAP);
    }

    long memoryBytes() {
        return settings.runtime().memoryBytes();
    }

    Map<String, String> environment(String apiAddress) {
        return BootstrapCommand.environment(route, version, folder, settings, apiAddress, System.getenv());
    }

    void output(long pid, String line) {
        log.emit(log.line("function-output").put("route", route).put("version", version).put("pid", pid)
                .put("line", line));
    }

    void logEvent(String event, long pid, String message) {
        log.emit(log.line(event).put("route", route).put("version", version).put("pid", pid).put("message", message));
    }

    /** An X-Ray style trace id: {@code Root=1-<epoch seconds, hex>-<96 random bits>;Sampled=0}. */
    private static String traceId(long nowMillis) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return String.format("Root=1-%08x-%08x%016x;Parent=%016x;Sampled=0", nowMillis / 1000, r.nextInt(),
                r.nextLong(), r.nextLong());
    }
}
