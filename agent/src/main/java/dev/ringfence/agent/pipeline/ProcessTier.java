package dev.ringfence.agent.pipeline;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.agent.process.RequestTooLargeException;
import dev.ringfence.agent.process.StartupCache;
import dev.ringfence.agent.process.SpareChild;
import dev.ringfence.agent.process.WorkerPool;
import dev.ringfence.agent.process.WorkerProcess;
import dev.ringfence.agent.process.ChildMemory;
import dev.ringfence.agent.process.ResidentWatch;
import dev.ringfence.agent.process.WorkerSpec;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.loader.HandlerVersion;
import dev.ringfence.loader.InstrumentedClassCache;
import dev.ringfence.loader.VersionException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One version of a route on the process tier: a pool of warm children ({@link WorkerPool} of
 * {@link WorkerProcess}es, sized by the route's {@code pool.*} settings) running the version's
 * classpath and handler class under the route's budgets, policy and caps. What the version's leases
 * carry instead of an {@link InProcessRoute}; closed (its child stopped) when the version retires,
 * that is after its last request finished ({@link dev.ringfence.loader.HandlerVersions}).
 *
 * <p>Thread-safe: {@link #attempt} may be called from many threads; each goes to the least loaded
 * child, which runs one request at a time, and the others wait for their turn within their own
 * deadline. A child may come warm from the host's {@link SpareChild} when its caps match.
 */
final class ProcessTier implements AutoCloseable {
    /** How long a new child may take to be ready before the update fails. */
    static final long READY_NANOS = TimeUnit.SECONDS.toNanos(30);

    /**
     * The largest body a request to a child may carry: what the default ring takes, less 16 KiB
     * for the request's other fields (a request whose headers do not fit ends {@code ERROR}).
     */
    static final long MAX_BODY_BYTES = WorkerSpec.DEFAULT_RING_CAPACITY / 8 - 8 - (16 << 10);

    private static final AtomicLong POLICY_FILES = new AtomicLong();

    private final HandlerVersion version;
    private final WorkerPool worker;
    /** Read by every child the worker starts (replacements too): deleted with the tier. */
    private final Path policyFile;

    private ProcessTier(HandlerVersion version, WorkerPool worker, Path policyFile) {
        this.version = version;
        this.worker = worker;
        this.policyFile = policyFile;
    }

    /**
     * Starts a pool of children for a version and waits until the first is ready (the others start
     * meanwhile).
     *
     * @param route the route's name (names the work directory)
     * @param version the version (its classpath is what the child loads)
     * @param s the route's settings
     * @param children how many children to start (the route's pool size now)
     * @param runtime the server's runtime: its spare child, start-up cache and log
     * @param deferred the route's deferred work, which counts what the children's does
     * @return the ready tier
     * @throws VersionException with the child's own reason when it could not start
     */
    static ProcessTier open(String route, HandlerVersion version, RouteSettings s, int children, RouteRuntime runtime,
            DeferredWork deferred) throws VersionException {
        ProcessTier tier = launch(route, version, s, children, runtime, deferred);
        boolean ready = false;
        try {
            ready = tier.worker.awaitReady(READY_NANOS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (!ready) {
                String why = tier.worker.startFailure();
                tier.close();
                throw new VersionException(VersionException.Reason.CONSTRUCTOR_FAILED, "the worker process of "
                        + s.handler() + " did not start: " + (why != null ? why
                        : "not ready within " + TimeUnit.NANOSECONDS.toSeconds(READY_NANOS) + " s"));
            }
        }
        return tier;
    }

    /**
     * Starts a pool of children for a version and returns at once: requests wait for a ready child
     * within their own deadline (and end {@code ERROR} with its reason should it fail to start).
     * The children start from the start-up cache when it holds the version's entry, and the first
     * may be the host's warm spare.
     *
     * @param route the route's name (names the work directory)
     * @param version the version (its classpath is what the child loads)
     * @param s the route's settings
     * @param children how many children to start
     * @param runtime the server's runtime: its spare child, start-up cache and log
     * @param deferred the route's deferred work, which counts what the children's does
     * @return the tier, its children starting
     * @throws VersionException when no child can be started from this JVM (no agent jar)
     */
    static ProcessTier launch(String route, HandlerVersion version, RouteSettings s, int children, RouteRuntime runtime,
            DeferredWork deferred) throws VersionException {
        SpareChild spare = runtime.spare();
        StartupCache startupCache = runtime.startupCache();
        EventLog log = runtime.log();
        Path jar = agentJar();
        Path work = workDir(route);
        Path policy = work.resolve("policy-" + version.shortId() + "-" + POLICY_FILES.incrementAndGet() + ".properties");
        try (OutputStream out = Files.newOutputStream(policy)) {
            s.policy().toProperties().store(out, "route " + route + ", version " + version.shortId());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the worker's policy file " + policy, e);
        }
        RouteSettings.Isolation i = s.isolation();
        WorkerSpec.Caps caps = new WorkerSpec.Caps(i.heapBytes(), Math.min(16L << 20, i.heapBytes()), i.nativeBytes(),
                i.metaspaceBytes(), WorkerSpec.Caps.DEFAULT.threadStackBytes());
        // no instrumented-class cache in children: measured, a spare opening a version through it
        // took 76 ms at p50 against 40 ms without (its first use of the cache's hashing and files)
        WorkerSpec spec = new WorkerSpec(jar, version.classpath(), s.handler(), s.budgets(), policy, null, caps,
                WorkerSpec.DEFAULT_RING_CAPACITY, work, s.defer(), tmpDir(route, i.tmpDir()),
                i.childProperties());
        if (spare != null) {
            spare.prime(spec);
        }
        WorkerPool worker = new WorkerPool(() -> {
            WorkerProcess w = WorkerProcess.of(spec, s.isolation().concurrency());
            w.takeSparesFrom(spare);
            w.reportDeferredTo(deferred);
            if (startupCache != null) {
                w.useStartupCache(startupCache, version.shortId(), (event, message) -> log.emit(log.line(event)
                        .put("route", route).put("version", version.shortId()).put("message", message)));
            }
            return w;
        }, Math.max(1, children));
        return new ProcessTier(version, worker, policy);
    }

    /** @return why the child could not start, or null */
    String startFailure() {
        return worker.startFailure();
    }

    /**
     * Runs one attempt of a request in the child.
     *
     * @param request the request
     * @param remainingNanos what is left of its deadline
     * @return how it ended, by the deadline; {@code CRASHED} when the child died with it
     */
    InvocationResult attempt(Request request, long remainingNanos) {
        try {
            InvocationResult r = worker.invoke(request, remainingNanos);
            return !r.version().equals(Route.NO_VERSION) ? r : new InvocationResult(r.requestId(), r.outcome(),
                    r.response(), r.message(), r.wallNanos(), r.cpuNanos(), r.allocatedBytes(), r.fuel(),
                    version.shortId(), r.abandoned());
        } catch (RequestTooLargeException e) {
            return InvocationResult.refused(request.requestId(), Outcome.ERROR, null, e.getMessage(), 0,
                    version.shortId());
        }
    }

    /** @return the first child's pid, or -1 while none runs */
    long pid() {
        return worker.pid();
    }

    /** @return the current child's memory, as it reported it and as the host read it */
    ChildMemory memory() {
        return worker.memory();
    }

    /** @return the resident-memory envelope of this version's children */
    ResidentWatch residentWatch() {
        return worker.residentWatch();
    }

    /** @return children recycled for passing their soft memory limit, and killed for passing their envelope */
    long[] residentRecyclesAndKills() {
        return new long[] {worker.residentRecycles(), worker.residentKills()};
    }

    /** @return the start-up cache's state ({@link WorkerProcess#startupCache()}) */
    String startupCache() {
        return worker.startupCache();
    }

    /** @return every child's pid, -1 for one being replaced */
    List<Long> pids() {
        return worker.pids();
    }

    /** @return this version's children that came warm from the host's spare */
    long childrenFromSpare() {
        return worker.childrenFromSpare();
    }

    /** @return each child's requests running or waiting, in the order of {@link #pids()} */
    List<Integer> loads() {
        return worker.loads();
    }

    /** @return deferred work its children have accepted and not yet ended, as they last reported it */
    long deferredInChildren() {
        return worker.deferredInChildren();
    }

    /** @return children ready to serve now */
    int ready() {
        return worker.ready();
    }

    /** @return requests running in or waiting for the children now */
    int busy() {
        return worker.busy();
    }

    /**
     * Resizes the pool of children.
     *
     * @param children the new count, at least 1
     */
    void resize(int children) {
        worker.resize(children);
    }

    /** @return children started for this version so far (the first included) */
    long childrenStarted() {
        return worker.childrenStarted();
    }

    /** Stops the child. */
    @Override
    public void close() {
        worker.close();
        deleteQuietly(policyFile);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // a file left in the temporary directory: harmless
        }
    }

    /** The running agent's own jar: where a ringfence class was loaded from. */
    private static Path agentJar() throws VersionException {
        CodeSource cs = ProcessTier.class.getProtectionDomain().getCodeSource();
        Path p = null;
        try {
            p = cs == null || cs.getLocation() == null ? null : Path.of(cs.getLocation().toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
            // not a file: no jar to start a child from
        }
        if (p == null || !Files.isRegularFile(p)) {
            throw new VersionException(VersionException.Reason.CONSTRUCTOR_FAILED,
                    "isolation=process needs ringfence running from its agent jar (it runs from " + p + ")");
        }
        return p;
    }

    /** The route's own temporary directory for its children, created when missing; null for the system's. */
    private static Path tmpDir(String route, Path dir) {
        if (dir == null) {
            return null;
        }
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the tmpdir " + dir + " of route " + route, e);
        }
    }

    private static Path workDir(String route) {
        try {
            Path d = RouteRuntime.workersDir().resolve(route);
            InstrumentedClassCache.createPrivateDirectories(d); // channel and policy files: owner-only
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the worker directory of route " + route, e);
        }
    }
}
