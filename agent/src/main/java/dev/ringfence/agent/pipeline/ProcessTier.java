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
import dev.ringfence.limiter.Policy;
import dev.ringfence.loader.InstrumentedClassCache;
import dev.ringfence.loader.VersionException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
    /** Set by {@link #parking()}. */
    private volatile boolean parking;
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
        return open(route, version, s, children, runtime, deferred, null);
    }

    /**
     * A parked route's version sent to the host's warm spare before the host loads it again
     * ({@link #prestart}): the spare opens it while the host does. Claimed by the
     * {@link #open(String, HandlerVersion, RouteSettings, int, RouteRuntime, DeferredWork, Prestart)}
     * that follows, or {@linkplain #discard discarded}.
     */
    static final class Prestart {
        private final WorkerSpec spec;
        private final Path policy;
        private SpareChild.Taken taken;

        private Prestart(WorkerSpec spec, Path policy, SpareChild.Taken taken) {
            this.spec = spec;
            this.policy = policy;
            this.taken = taken;
        }

        /** The spare and its policy file for a version of this classpath, once; null when they are not for it. */
        private synchronized SpareChild.Taken claim(List<Path> classpath) {
            SpareChild.Taken t = taken;
            if (t == null || !spec.handlerPaths().equals(classpath)) {
                return null;
            }
            taken = null;
            return t;
        }

        /** Kills the spare and deletes the policy file unless they were claimed. */
        synchronized void discard() {
            if (taken != null) {
                taken.discard();
                taken = null;
                deleteQuietly(policy);
            }
        }
    }

    /**
     * Sends a parked route's version to the host's warm spare now, before the host loads it again
     * (it opened before, with these jars and settings): the spare opens it meanwhile, and the
     * first request goes behind its {@code LOAD} message.
     *
     * @param route the route's name
     * @param jars the version's jars, as the route loads them
     * @param s the route's settings
     * @param runtime the server's runtime, with its spare
     * @return the started spare, or null when there is no warm spare or it does not fit the route
     */
    static Prestart prestart(String route, List<Path> jars, RouteSettings s, RouteRuntime runtime) {
        SpareChild spare = runtime.spare();
        if (spare == null || !spare.warm()) {
            return null;
        }
        Path policy = null;
        try {
            List<Path> classpath = new ArrayList<>();
            for (Path p : jars) {
                classpath.add(p.toAbsolutePath().normalize());
            }
            Path agent = agentJar(); // first: nothing is written for a server that cannot start children
            Path work = workDir(route);
            policy = writePolicy(work, s);
            WorkerSpec spec = spec(agent, classpath, work, policy, route, s);
            SpareChild.Taken taken = spare.take(spec, s.isolation().concurrency());
            if (taken == null) {
                deleteQuietly(policy);
                return null;
            }
            return new Prestart(spec, policy, taken);
        } catch (VersionException | RuntimeException e) {
            deleteQuietly(policy);
            return null; // the load that follows reports what is wrong
        }
    }

    /**
     * {@link #open(String, HandlerVersion, RouteSettings, int, RouteRuntime, DeferredWork)}; with
     * {@code waking} (a parked route's version loaded again: it opened before), a child that is
     * the host's warm spare is not waited for: the first request goes behind its {@code LOAD}
     * message, and should the version fail to open now, that request ends {@code ERROR} with why.
     * The spare is the one {@code waking} sent the version to already when it is for this version.
     */
    static ProcessTier open(String route, HandlerVersion version, RouteSettings s, int children, RouteRuntime runtime,
            DeferredWork deferred, Prestart waking) throws VersionException {
        ProcessTier tier = launch(route, version, s, children, runtime, deferred, waking);
        if (waking != null && tier.worker.loadingFromSpare()) {
            return tier;
        }
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
        return launch(route, version, s, children, runtime, deferred, null);
    }

    private static ProcessTier launch(String route, HandlerVersion version, RouteSettings s, int children,
            RouteRuntime runtime, DeferredWork deferred, Prestart prestarted) throws VersionException {
        SpareChild spare = runtime.spare();
        StartupCache startupCache = runtime.startupCache();
        EventLog log = runtime.log();
        SpareChild.Taken taken = prestarted == null ? null : prestarted.claim(version.classpath());
        WorkerSpec spec;
        Path policy;
        if (taken != null) {
            spec = prestarted.spec;
            policy = prestarted.policy;
        } else {
            Path agent = agentJar(); // first: nothing is written for a server that cannot start children
            Path work = workDir(route);
            policy = writePolicy(work, s);
            spec = spec(agent, version.classpath(), work, policy, route, s);
        }
        if (spare != null) {
            spare.prime(spec);
            if (taken == null) {
                // the warm spare, when it fits, is sent the version now: it opens it while the tier is built
                taken = spare.take(spec, s.isolation().concurrency());
            }
        }
        AtomicReference<SpareChild.Taken> early = new AtomicReference<>(taken);
        WorkerPool worker;
        try {
            worker = pool(route, version, s, children, runtime, deferred, spec, spare, startupCache, log, early);
        } catch (RuntimeException e) {
            deleteQuietly(policy); // no tier holds it
            throw e;
        } finally {
            SpareChild.Taken unused = early.getAndSet(null);
            if (unused != null) {
                unused.discard(); // the pool failed before its first member took it
            }
        }
        return new ProcessTier(version, worker, policy);
    }

    private static WorkerPool pool(String route, HandlerVersion version, RouteSettings s, int children,
            RouteRuntime runtime, DeferredWork deferred, WorkerSpec spec, SpareChild spare, StartupCache startupCache,
            EventLog log, AtomicReference<SpareChild.Taken> early) {
        return new WorkerPool(() -> {
            WorkerProcess w = WorkerProcess.of(spec, s.isolation().concurrency());
            w.takeSparesFrom(spare);
            w.reportDeferredTo(deferred);
            if (startupCache != null) {
                w.useStartupCache(startupCache, version.shortId(), (event, message) -> log.emit(log.line(event)
                        .put("route", route).put("version", version.shortId()).put("message", message)));
            }
            SpareChild.Taken taken = early.getAndSet(null);
            if (taken != null) {
                w.startWith(taken); // the pool's start() then finds it started
            }
            return w;
        }, Math.max(1, children));
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

    /**
     * The route parks this version (scale-to-zero, a recycle): when it closes, a start-up cache
     * training of its children goes on, for the version's next wake.
     *
     * @return what stops that training (it holds the children's pool, not the version)
     */
    Runnable parking() {
        parking = true;
        WorkerPool pool = worker;
        return pool::stopTraining;
    }

    /** Stops the child. */
    @Override
    public void close() {
        worker.close(parking);
        deleteQuietly(policyFile);
    }

    /** @param file a file to delete, or null */
    private static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
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

    /** Writes the policy file a route's children read (a parked route writes its file again on each wake). */
    private static Path writePolicy(Path work, RouteSettings s) {
        Path policy = work.resolve("policy-" + POLICY_FILES.incrementAndGet() + ".properties");
        byte[] text = s.policy().toPropertiesFile("a route's policy, for its worker processes");
        try {
            Files.write(policy, text, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the worker's policy file " + policy, e);
        }
        return policy;
    }

    /** What a route's children run: the version's classpath, the route's handler, budgets, policy and caps. */
    private static WorkerSpec spec(Path agentJar, List<Path> classpath, Path work, Path policy, String route,
            RouteSettings s) {
        RouteSettings.Isolation i = s.isolation();
        WorkerSpec.Caps caps = new WorkerSpec.Caps(i.heapBytes(), Math.min(WorkerSpec.Caps.INITIAL_HEAP_BYTES, i.heapBytes()),
                i.nativeBytes(), i.metaspaceBytes(), WorkerSpec.Caps.DEFAULT.threadStackBytes());
        // no instrumented-class cache in children: measured, a spare opening a version through it
        // took 76 ms at p50 against 40 ms without (its first use of the cache's hashing and files)
        return new WorkerSpec(agentJar, classpath, s.handler(), s.budgets(), policy, null, caps,
                WorkerSpec.DEFAULT_RING_CAPACITY, work, s.defer(), tmpDir(route, i.tmpDir()), i.childProperties());
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
