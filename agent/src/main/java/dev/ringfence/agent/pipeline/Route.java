package dev.ringfence.agent.pipeline;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.agent.log.JsonText;
import dev.ringfence.agent.runtimeapi.ProvidedRuntime;
import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.jfr.RingfenceEvents;
import dev.ringfence.limiter.ShareQuota;
import dev.ringfence.limiter.HandedOffException;
import dev.ringfence.limiter.Metering;
import dev.ringfence.limiter.Policy;
import dev.ringfence.loader.HandlerVersion;
import dev.ringfence.loader.HandlerVersions;
import dev.ringfence.loader.LoadOptions;
import dev.ringfence.loader.VersionException;
import dev.ringfence.loader.VersionInfo;
import dev.ringfence.loader.VersionListener;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One served route: its settings, its handler versions (hot reload with
 * drain and unload proof), and the pipeline every request goes through — circuit breaker,
 * admission (bounded in-flight and FIFO queue), a deadline measured from arrival, retries, and the
 * record of how the request ended.
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>{@link #invoke} is thread-safe and never throws for anything a handler does. It blocks
 *       only while the request waits in the queue (never past its deadline), runs, or backs off
 *       before a retry (never past its deadline).</li>
 *   <li>Every call of {@link #invoke} records exactly one {@code ringfence.Invocation} JFR event
 *       and one entry in {@link #stats()}, whatever happened: refused by the breaker or the
 *       admission, timed out in the queue, retried, or its handler thread abandoned.</li>
 *   <li>{@link #update} and {@link #close} are serialised. An update goes live whole or not at
 *       all: a setting that does not parse, a version that does not load or a handler whose
 *       constructor fails leaves the previous settings and version serving, and says why in
 *       {@link #lastReload()}.</li>
 *   <li>Scale-to-zero: {@link #parkIfIdle} retires an idle route's version; the next request loads
 *       the same classpath again on its own thread (a cold start, counted and logged), others
 *       arriving meanwhile wait for that load.</li>
 *   <li>A version whose handler threads were abandoned is quarantined ({@link Quarantine}): its
 *       requests end {@code CIRCUIT_OPEN} at once until a new version loads.</li>
 *   <li>Memory pressure ({@link MemoryWatch}): while {@link #pauseForMemory paused} new requests
 *       end {@code REJECTED} at once (requests running or queued go on); {@link #recycle} retires
 *       the version like a park, whatever the route's idle time.</li>
 *   <li>A request runs on the version current when it started an attempt, under a lease, so a
 *       reload never breaks it; settings are read once per request. Settings that change with a
 *       new version may meet the old version for the requests in between: a fuel budget on a
 *       version without counting probes is then not charged.</li>
 *   <li>Tiers ({@code isolation}): in-process, an attempt runs on a sandbox worker thread
 *       ({@link InProcessRoute}); with {@code isolation=process}, each version has its own pool
 *       of warm child JVMs ({@link ProcessTier}), the first one ready before the version goes live,
 *       resized with the route's pool (the pool then counts children, each running
 *       {@code concurrency} requests), and all stopped when the version retires (replaced, parked
 *       or removed, once its requests have finished); a first child may be the host's warm spare.
 *       The pipeline around the attempt is the same.</li>
 *   <li>Deferred work ({@link DeferredWork}): what a request's handler defers is staged in its
 *       {@code Call} and queued only after {@code answer} has returned, whatever the outcome; it
 *       holds a lease on its version until it ends, and {@link #close} starts its drain.</li>
 *   <li>With {@code runtime=provided}, a version is the route folder's whole content (its
 *       {@code bootstrap} and whatever else it holds), and its attempts run in bootstrap processes
 *       served the Lambda runtime API ({@link ProvidedRuntime}), under the same pipeline.</li>
 * </ul>
 */
public final class Route implements AutoCloseable {
    /** The tier of a route without settings. */
    public static final String DEFAULT_TIER = RouteSettings.Isolation.AUTO.tier();
    /** The version named when none ran. */
    public static final String NO_VERSION = "-";

    private final String name;
    private final RouteRuntime runtime;
    private final HandlerVersions versions;
    private final RouteStats stats = new RouteStats();
    private final Quarantine quarantine;
    private final Escalations escalations;
    private final RouteChildren children;
    private final DeferredWork deferred;
    private volatile Serving serving;
    private volatile ReloadReport lastReload;
    /** What the last successful update loaded: what a parked route loads again. */
    private volatile Loaded loaded;
    private volatile boolean parked;
    /**
     * Set while {@link #wake} loads the parked version again (under this route's monitor): the
     * warm spare it sent the version to first, or null.
     */
    private ProcessTier.Prestart waking;
    /**
     * Stops the start-up cache training the children of the version parked last may still run
     * (guarded by this); it holds their pool, not the version, whose loader must go.
     */
    private Runnable parkedTraining;
    private volatile long lastUsedNanos;
    /** Why new requests are refused for memory, or null while they are admitted. */
    private volatile MemoryPause memoryPause;

    /** A classpath and the options and settings it was loaded with. */
    private record Loaded(List<Path> jars, LoadOptions options, RouteSettings settings) {
    }

    /** A pause for memory pressure: the refusal's message and its {@code Retry-After}. */
    private record MemoryPause(String message, long retryAfterSeconds) {
    }

    /** The parts built from one set of settings; replaced whole when the settings change. */
    private record Serving(RouteSettings settings, Admission admission, CircuitBreaker breaker, RetryPolicy retry,
            Pool pool, ShareQuota quota) {
    }

    /**
     * The route's pool: how many of its invocations run at once (the admission's limit), resized
     * every {@code pool.interval} from the utilisation since the last look. Touched by the one
     * resizing task only (and replaced whole with new pool settings).
     */
    private static final class Pool {
        final PoolSizer sizer;
        long lookedAt;
        long occupancyAt;

        Pool(PoolSizer sizer, long now, long occupancy) {
            this.sizer = sizer;
            this.lookedAt = now;
            this.occupancyAt = occupancy;
        }
    }

    /**
     * Creates a route with no version: requests end {@code ERROR} until the first {@link #update}
     * succeeds.
     *
     * @param name the route's name (the folder's, and the path segment after {@code /fn/})
     * @param runtime what the routes of this server share
     */
    public Route(String name, RouteRuntime runtime) {
        this.name = name;
        this.runtime = runtime;
        this.escalations = new Escalations(name, runtime.log());
        this.deferred = new DeferredWork(name, runtime.executor(), runtime.log(), stats::countAbandoned);
        VersionListener events = runtime.versionEvents();
        this.versions = new HandlerVersions(name, LoadOptions.of(Policy.DENY_ALL), runtime.watch(), new VersionListener() {
            @Override
            public void onLoaded(String route, VersionInfo loaded, VersionInfo replaced) {
                events.onLoaded(route, loaded, replaced);
            }

            @Override
            public void onUnloaded(String route, VersionInfo version, long nanosToCollection) {
                events.onUnloaded(route, version, nanosToCollection);
            }

            @Override
            public void onLeaked(String route, VersionInfo version, long nanosSinceClose, String cause) {
                events.onLeaked(route, version, nanosSinceClose, cause);
                loaderLeaked(version, cause);
            }
        });
        this.children = new RouteChildren(versions);
        this.quarantine = new Quarantine(name, runtime.clock(), this::settings, new QuarantineEvents(name, runtime.log()));
    }

    /** @return the route's name */
    public String name() {
        return name;
    }

    /**
     * Takes new settings and a classpath: loads a new version when the classpath's content, the
     * policy, the metering or the handler class changed (creating the handler inside the sandbox
     * before the version goes live), and puts the settings live. The replaced version drains.
     *
     * @param settingsFile the route's {@code route.properties}
     * @param jars the handler's classpath
     * @param defaults the global defaults
     * @return what happened (also {@link #lastReload()} and a log line)
     */
    public synchronized ReloadReport update(Path settingsFile, List<Path> jars, RouteDefaults defaults) {
        long start = System.nanoTime();
        long metaspaceBefore = JvmMemory.metaspaceUsed();
        String before = version();
        ReloadReport report;
        try {
            RouteSettings s = RouteSettings.read(settingsFile, defaults);
            if (!s.isolation().auto()) {
                escalations.clearRouteWide();
            }
            LoadOptions options = LoadOptions.of(s.policy()).withCache(runtime.cache())
                    .withMetering(Metering.forFuel(s.budgets().fuel()));
            // a provided runtime's version is its folder's content: the bootstrap and all beside it
            List<Path> classpath = s.runtime().provided() ? List.of(settingsFile.toAbsolutePath().getParent()) : jars;
            boolean newVersion = versions.reload(classpath, options, variant(s), v -> prepare(v, s));
            loaded = new Loaded(List.copyOf(classpath), options, s);
            parked = false;
            quarantine.track(version());
            lastUsedNanos = runtime.clock().getAsLong();
            Serving old = serving;
            boolean settingsChanged = old == null || !same(old.settings(), s);
            if (newVersion || settingsChanged) {
                Serving next = serve(old, s);
                if (newVersion && old != null && next.breaker() == old.breaker()) {
                    next.breaker().reset(); // a new version starts with a clean slate
                }
                serving = next;
                stats.countReload(true);
            }
            String now = version();
            String message = newVersion ? "loaded version " + now + " of " + s.handler() + " in "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms"
                    : settingsChanged ? "settings updated; version " + now + " unchanged" : "nothing changed";
            report = new ReloadReport(true, Instant.now(), now, message);
            if (newVersion || settingsChanged) {
                long metaspaceAfter = JvmMemory.metaspaceUsed();
                EventLog log = runtime.log();
                log.emit(log.line("reload").put("route", name).put("version", now).put("previous", before)
                        .put("handler", s.handler()).put("loadMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
                        .put("metaspaceDeltaBytes", metaspaceBefore < 0 ? null : metaspaceAfter - metaspaceBefore)
                        .put("message", message));
            }
        } catch (VersionException | RuntimeException | LinkageError e) {
            stats.countReload(false);
            report = new ReloadReport(false, Instant.now(), version(), oneLine(e));
            EventLog log = runtime.log();
            log.emit(log.line("reload-failed").put("route", name).put("version", report.version())
                    .put("message", report.message()));
        }
        lastReload = report;
        return report;
    }

    /**
     * What a version depends on besides its classpath, policy and metering: the handler class and,
     * on the process tier, the child's caps and budgets (fixed when the child starts), so a change
     * of either starts a new child.
     */
    private static String variant(RouteSettings s) {
        if (s.runtime().provided()) {
            return ProvidedRuntime.variant(s);
        }
        // an in-process AWS Lambda handler is told the route's memory when created: a change re-creates it
        String memory = s.runtime().memoryBytes() == 0 || s.isolation().process() ? ""
                : " memory=" + s.runtime().memoryBytes();
        if (s.isolation().mode() == RouteSettings.Isolation.Mode.IN_PROCESS) {
            return s.handler() + memory;
        }
        return s.handler() + " " + s.isolation() + " " + s.budgets() + memory;
    }

    private Object prepare(HandlerVersion v, RouteSettings s) throws VersionException {
        if (s.runtime().provided()) {
            return ProvidedRuntime.open(name, v, s, runtime.log());
        }
        if (s.isolation().process()) {
            return ProcessTier.open(name, v, s, childrenFor(s), runtime, deferred, waking);
        }
        Escalations.Reason marked = escalations.routeWide();
        if (s.isolation().auto() && marked != null) {
            return AutoTier.inChild(name, v, s, marked, "the route's versions start in the process tier since a"
                    + " version's class loader leaked", escalations, runtime, deferred);
        }
        InProcessRoute in;
        try {
            in = InProcessRoute.open(name, v, s.handler(), s.budgets(), runtime.executor(), runtime.handlerLog(),
                    s.runtime());
        } catch (HandlerStartException e) {
            if (s.isolation().auto() && e.outcome() == Outcome.DENIED && AutoTier.asksForNativeLibrary(e.getMessage(), s)) {
                // its constructor asked for a native library its policy allows: a child honours that
                return AutoTier.inChild(name, v, s, Escalations.Reason.NATIVE_LIBRARY, e.getMessage(), escalations,
                        runtime, deferred);
            }
            throw new VersionException(VersionException.Reason.CONSTRUCTOR_FAILED, e.getMessage());
        }
        return s.isolation().auto() ? AutoTier.inProcess(name, v, s, in, escalations, runtime, deferred) : in;
    }

    /**
     * A retired version's loader leaked: on an {@code auto} route, its versions start in a child
     * from now on, and the live one moves now (the same code is likely to leak again).
     */
    private void loaderLeaked(VersionInfo leaked, String cause) {
        Serving s = serving;
        if (s == null || !s.settings().isolation().auto()) {
            return;
        }
        escalations.markRouteWide(Escalations.Reason.LEAKED_LOADER);
        if (versions.current() == null) {
            return;
        }
        try (HandlerVersions.Lease lease = versions.acquire()) {
            if (lease.prepared() instanceof AutoTier) {
                ((AutoTier) lease.prepared()).moveToChild(Escalations.Reason.LEAKED_LOADER, null,
                        "the class loader of version " + leaked.shortId() + " leaked: " + cause);
            }
        } catch (IllegalStateException e) {
            // parked or removed meanwhile: the next version starts in a child
        }
    }

    /** Requests one unit of the pool runs at once: a child's {@code concurrency} on the process tier, else 1. */
    private static int perUnit(RouteSettings s) {
        return s.isolation().process() ? s.isolation().concurrency() : 1;
    }

    /** The children a new version of a process route starts with: as many as the pool has now, within the settings. */
    private int childrenFor(RouteSettings s) {
        Serving now = serving;
        int current = now == null || !now.settings().isolation().process() ? 0
                : now.admission().limit() / perUnit(now.settings());
        return Math.max(s.pool().min(), Math.min(s.pool().max(), current));
    }

    private Serving serve(Serving old, RouteSettings s) {
        deferred.configure(s.defer());
        LongSupplier clock = runtime.clock();
        Admission admission = old != null && old.settings().maxInflight() == s.maxInflight()
                && old.settings().maxQueue() == s.maxQueue() ? old.admission() : new Admission(s.maxInflight(), s.maxQueue(), clock);
        CircuitBreaker breaker = old != null && old.settings().breaker().equals(s.breaker()) ? old.breaker()
                : CircuitBreaker.of(s.breaker(), clock, this::breakerMoved);
        Pool pool = old != null && old.admission() == admission && old.settings().pool().equals(s.pool()) ? old.pool()
                : null;
        if (pool == null) {
            // a new pool starts at its smallest and grows with the load it sees
            admission.setLimit(s.pool().min() * perUnit(s)); // on the process tier: children × concurrency
            pool = new Pool(PoolSizer.of(s.pool(), clock), clock.getAsLong(), admission.occupancyNanos());
        }
        ShareQuota quota = s.cpuShare() == 0 && s.allocRate() == 0 ? null
                : old != null && old.quota() != null && old.quota().cores() == s.cpuShare()
                        && old.quota().bytesPerSecond() == s.allocRate() ? old.quota()
                        : ShareQuota.of(s.cpuShare(), s.allocRate());
        return new Serving(s, admission, breaker, RetryPolicy.of(s.retry()), pool, quota);
    }

    private void breakerMoved(CircuitBreaker.State from, CircuitBreaker.State to, long atNanos) {
        RingfenceEvents.breakerTransition(name, from.name(), to.name());
        EventLog log = runtime.log();
        log.emit(log.line("breaker").put("route", name).put("from", from.name()).put("to", to.name()));
    }

    /** Settings are equal when every component is, the policy compared by its fingerprint. */
    static boolean same(RouteSettings a, RouteSettings b) {
        if (!a.policy().fingerprint().equals(b.policy().fingerprint())) {
            return false;
        }
        return new RouteSettings(a.handler(), a.budgets(), a.slowNanos(), a.maxInflight(), a.maxQueue(), a.maxBodyBytes(),
                a.idleNanos(), a.breaker(), a.retry(), a.pool(), a.fallback(), a.quarantine(), a.cpuShare(),
                a.allocRate(), b.policy(), a.isolation(), a.defer(), a.runtime()).equals(b);
    }

    /**
     * Serves one request: breaker, admission, deadline, attempts with retries, record. Blocks
     * until it is answered, also when its attempt was abandoned on this thread and answered on
     * another.
     *
     * @param request the request
     * @return how it ended; its wall time runs from this call to the answer
     */
    public InvocationResult invoke(Request request) {
        CompletableFuture<InvocationResult> answer = new CompletableFuture<>();
        try {
            invoke(request, answer::complete);
        } catch (HandedOffException e) {
            // the attempt was abandoned and answered on another thread before this one came back
        }
        return answer.join();
    }

    /**
     * Serves one request and gives {@code answer} its result exactly once, after recording it.
     * Normally that happens on this thread before the call returns. When the attempt ran on this
     * thread (an HTTP front's host thread, see {@link dev.ringfence.limiter.MeteredExecutor#runHere})
     * and the handler did not stop within the grace after its deadline or budget, the request is
     * answered on another thread at once and this thread is abandoned; if it ever comes back,
     * this call throws {@link HandedOffException}, and the caller must not answer again.
     *
     * @param request the request
     * @param answer takes the result (its wall time runs from this call to the answer)
     * @throws HandedOffException when the answer was given on another thread
     */
    public void invoke(Request request, Consumer<InvocationResult> answer) {
        LongSupplier clock = runtime.clock();
        long start = clock.getAsLong();
        lastUsedNanos = start;
        Serving s = serving;
        Call call = new Call(s, start, answer, deferred.handoff(request.requestId(), s == null ? null : s.quota()));
        if (s == null) {
            ReloadReport last = lastReload;
            call.complete(InvocationResult.refused(request.requestId(), Outcome.ERROR, null, "route " + name
                    + " has no handler version loaded" + (last == null ? "" : ": " + last.message()), 0, NO_VERSION));
            return;
        }
        InvocationResult held = quarantine.refusal(request.requestId());
        if (held != null) {
            call.complete(held);
            return;
        }
        MemoryPause pause = memoryPause;
        if (pause != null) {
            stats.countMemoryRejection();
            call.complete(InvocationResult.refused(request.requestId(), Outcome.REJECTED, null, pause.message(), 0,
                    currentVersion()));
            return;
        }
        long deadline = start + s.settings().budgets().wallNanos();
        long permit = s.breaker().tryAcquire();
        if (permit == CircuitBreaker.NOT_PERMITTED) {
            RouteSettings.Fallback f = s.settings().fallback();
            call.complete(InvocationResult.refused(request.requestId(), Outcome.CIRCUIT_OPEN, f == null ? null : f.response(),
                    "the circuit breaker of route " + name + " is open", 0, currentVersion()));
            return;
        }
        Admission.Result admitted;
        try {
            admitted = s.admission().tryAcquire(deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            admitted = Admission.Result.EXPIRED;
        }
        if (admitted != Admission.Result.ADMITTED) {
            s.breaker().record(permit, Outcome.REJECTED);
            call.complete(admitted == Admission.Result.REJECTED
                    ? InvocationResult.refused(request.requestId(), Outcome.REJECTED, null, "route " + name + " is full: "
                            + s.settings().maxInflight() + " running and " + s.settings().maxQueue() + " waiting", 0,
                            currentVersion())
                    : InvocationResult.refused(request.requestId(), Outcome.TIMEOUT, null, "the deadline of "
                            + millis(s.settings().budgets().wallNanos()) + " passed while queued", 0, currentVersion()));
            return;
        }
        call.admitted(permit);
        InvocationResult r;
        try {
            r = runWithRetries(request, call, deadline);
        } catch (HandedOffException e) {
            throw e;
        } catch (RuntimeException | Error e) {
            call.complete(InvocationResult.refused(request.requestId(), Outcome.ERROR, null, "the pipeline failed: " + e,
                    0, currentVersion()));
            if (e instanceof Error) {
                throw e;
            }
            return;
        }
        call.complete(r);
    }

    /**
     * One request's way out: releases what admission gave it, records it and answers it, once,
     * whichever thread gets there first (its own, or the one answering for an abandoned attempt).
     */
    private final class Call {
        private final Serving serving;
        private final long start;
        private final Consumer<InvocationResult> answer;
        /** What the handler deferred: queued once the request is answered (phase 2 after phase 1). */
        private final DeferredHandoff handoff;
        private final AtomicBoolean answered = new AtomicBoolean();
        private long permit = CircuitBreaker.NOT_PERMITTED;
        private volatile boolean admitted;

        Call(Serving serving, long start, Consumer<InvocationResult> answer, DeferredHandoff handoff) {
            this.serving = serving;
            this.start = start;
            this.answer = answer;
            this.handoff = handoff;
        }

        void admitted(long breakerPermit) {
            permit = breakerPermit;
            admitted = true;
        }

        void complete(InvocationResult result) {
            if (!answered.compareAndSet(false, true)) {
                return;
            }
            if (admitted) {
                serving.breaker().record(permit, result.outcome());
                serving.admission().release();
            }
            InvocationResult r = result.withWallNanos(runtime.clock().getAsLong() - start);
            finish(r, serving);
            try {
                answer.accept(r);
            } finally {
                handoff.release();
            }
        }
    }

    private InvocationResult runWithRetries(Request request, Call call, long deadline) {
        Serving s = call.serving;
        LongSupplier clock = runtime.clock();
        for (int retries = 0;; retries++) {
            long remaining = deadline - clock.getAsLong();
            if (remaining <= 0) {
                return InvocationResult.refused(request.requestId(), Outcome.TIMEOUT, null, "the deadline of "
                        + millis(s.settings().budgets().wallNanos()) + " passed before attempt " + (retries + 1), 0,
                        currentVersion());
            }
            InvocationResult held = quarantine.refusal(request.requestId()); // quarantined while it waited
            if (held != null) {
                return held;
            }
            InvocationResult r;
            boolean started;
            boolean inChild = false;
            try (HandlerVersions.Lease lease = acquire()) {
                Object entry = lease.prepared();
                AutoTier auto = entry instanceof AutoTier ? (AutoTier) entry : null;
                if (auto != null) {
                    entry = auto.child() != null ? auto.child() : auto.inProcess();
                }
                if (entry instanceof ProvidedRuntime) {
                    inChild = true; // names the route's deadline itself; nothing to escalate
                    r = ((ProvidedRuntime) entry).attempt(request, remaining, s.settings().budgets().wallNanos());
                } else if (entry instanceof ProcessTier) {
                    inChild = true;
                    // the child may have started the request before it died: CRASHED is retried only when idempotent
                    r = inChild((ProcessTier) entry, request, remaining, s);
                } else {
                    r = ((InProcessRoute) entry).attempt(request, attemptBudgets(s.settings().budgets(), remaining,
                            lease.version()), s.quota(), given -> answerLate(request, call, deadline, afterAttempt(given,
                            s, auto), auto), given -> abandoned(given, auto, lease), call.handoff, lease);
                }
                started = true;
                if (auto != null && !inChild) {
                    r = afterAttempt(r, s, auto);
                    if (auto.movedForNativeLibrary(r)) {
                        continue; // denied only for where it ran: it runs again in the child, within its deadline
                    }
                    inChild = true; // seen: not again below
                }
            } catch (VersionException | IllegalStateException | IllegalArgumentException e) {
                // no version (the route was removed, or a parked one would not load again), or no
                // gates: the handler never ran
                r = InvocationResult.refused(request.requestId(), Outcome.ERROR, null, e.getMessage(), 0, NO_VERSION);
                started = false;
            }
            if (started && !inChild) {
                r = afterAttempt(r, s, null);
            }
            if (r.outcome() == Outcome.OK) {
                return r;
            }
            long delay = s.retry().delayBeforeRetry(retries, r.outcome(), started, clock.getAsLong(), deadline);
            if (delay == RetryPolicy.NO_RETRY) {
                return r;
            }
            stats.countRetry();
            try {
                TimeUnit.NANOSECONDS.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return r;
            }
        }
    }

    /** An attempt in the route's child; a timeout's message names the route's deadline and what the child was doing. */
    private static InvocationResult inChild(ProcessTier tier, Request request, long remaining, Serving s) {
        InvocationResult r = tier.attempt(request, remaining);
        if (r.outcome() != Outcome.TIMEOUT) {
            return r;
        }
        return new InvocationResult(r.requestId(), r.outcome(), r.response(), "the deadline of "
                + millis(s.settings().budgets().wallNanos()) + " passed: " + r.message(), r.wallNanos(), r.cpuNanos(),
                r.allocatedBytes(), r.fuel(), r.version(), r.abandoned());
    }

    /**
     * Names the route's deadline in a timed-out attempt's message; counts and logs an abandoned
     * thread; on an {@code auto} route, moves the version to a child when the attempt showed this
     * JVM cannot contain it.
     */
    private InvocationResult afterAttempt(InvocationResult r, Serving s, AutoTier auto) {
        if (r.outcome() == Outcome.TIMEOUT) {
            // the attempt's budget was what was left of the deadline: name the route's
            r = new InvocationResult(r.requestId(), r.outcome(), r.response(), "the deadline of "
                    + millis(s.settings().budgets().wallNanos()) + " passed" + (r.abandoned()
                    ? " (the handler thread did not stop and was abandoned)" : ""), r.wallNanos(), r.cpuNanos(),
                    r.allocatedBytes(), r.fuel(), r.version(), r.abandoned());
        }
        if (r.abandoned()) {
            abandoned(r, auto, null); // the attempt returned: its lease is closed as usual
        } else if (auto != null) {
            Escalations.Reason why = auto.reasonToMove(r);
            if (why != null) {
                auto.moveToChild(why, r.requestId(), r.message());
            }
        }
        return r;
    }

    /**
     * Counts and logs a handler thread left behind; moves an {@code auto} route's version to a
     * child, else quarantines it when that is due. A thread abandoned inside its attempt holds
     * that attempt's lease, perhaps for ever: the lease is marked abandoned, so that a child of the
     * version is stopped once the version is replaced (the version itself stays open for the thread).
     *
     * @param lease the lease the thread still holds, or null when its attempt returned
     */
    private void abandoned(InvocationResult r, AutoTier auto, HandlerVersions.Lease lease) {
        try {
            stats.countAbandoned();
            EventLog log = runtime.log();
            log.emit(invocationLine("abandoned", r));
            if (auto != null && (auto.moveToChild(Escalations.Reason.STUCK_THREAD, r.requestId(), r.message())
                    || auto.child() != null)) {
                return; // its next requests run in a child, where a stuck thread is killed with its process
            }
            quarantine.abandoned(r);
        } finally {
            if (lease != null) {
                lease.abandon();
            }
        }
    }

    /**
     * Answers an attempt that the watchdog answered while its thread was still unwinding; a
     * native-library denial that moved the version instead runs again in the child, from a thread
     * of its own (once per moved version: this thread answers for many routes).
     */
    private void answerLate(Request request, Call call, long deadline, InvocationResult r, AutoTier auto) {
        if (auto == null || !auto.movedForNativeLibrary(r)) {
            call.complete(r);
            return;
        }
        Thread rerun = new Thread(() -> {
            InvocationResult again;
            try {
                again = runWithRetries(request, call, deadline);
            } catch (RuntimeException | Error e) {
                again = InvocationResult.refused(request.requestId(), Outcome.ERROR, null, "the pipeline failed: " + e,
                        0, currentVersion());
            }
            call.complete(again);
        }, "ringfence-rerun-" + name);
        rerun.setDaemon(true);
        rerun.start();
    }

    private HandlerVersions.Lease acquire() throws VersionException {
        if (parked) {
            wake();
        }
        return versions.acquire();
    }

    /** Loads a parked route's version again (a cold start); the first request after idle pays for it. */
    private synchronized void wake() throws VersionException {
        Loaded l = loaded;
        if (!parked || l == null) {
            return;
        }
        long start = System.nanoTime();
        // a process route's spare is sent the version first: it opens it while this JVM loads it again
        ProcessTier.Prestart spare = l.settings().isolation().process() && !l.settings().runtime().provided()
                ? ProcessTier.prestart(name, l.jars(), l.settings(), runtime) : null;
        waking = spare;
        try {
            versions.reload(l.jars(), l.options(), variant(l.settings()), v -> prepare(v, l.settings()));
        } finally {
            waking = null;
            if (spare != null) {
                spare.discard(); // unless the load took it
            }
        }
        parked = false;
        quarantine.track(version()); // the same content is the same version: a quarantine stays
        long took = System.nanoTime() - start;
        stats.countColdStart(took);
        EventLog log = runtime.log();
        log.emit(log.line("cold-start").put("route", name).put("version", version())
                .put("loadMs", TimeUnit.NANOSECONDS.toMillis(took)));
    }

    /**
     * Scale-to-zero: when the route has had no request for its {@code idle} setting and none is
     * running or queued, retires its version (drained, then unloaded); the next request loads it
     * again. Does nothing when {@code idle} is 0, the route has no version or is parked already.
     *
     * @param nowNanos the runtime clock's reading now
     * @return whether it parked the route
     */
    public synchronized boolean parkIfIdle(long nowNanos) {
        Serving s = serving;
        HandlerVersion v = versions.current();
        if (s == null || v == null || parked || s.settings().idleNanos() == 0
                || nowNanos - lastUsedNanos < s.settings().idleNanos() || inflight() > 0 || queued() > 0
                || deferred.queued() + deferred.running() > 0) {
            return false;
        }
        runtime.versionEvents().retiring(v.info());
        String id = v.shortId();
        parkingChildren();
        parked = versions.park();
        if (parked) {
            EventLog log = runtime.log();
            log.emit(log.line("parked").put("route", name).put("version", id)
                    .put("idleMs", TimeUnit.NANOSECONDS.toMillis(nowNanos - lastUsedNanos)));
        }
        return parked;
    }

    /**
     * Tells the version's children, if it has any, that the route parks it: a start-up cache
     * training of theirs goes on ({@link ProcessTier#parking()}) until it ends or the route closes.
     */
    private void parkingChildren() {
        ProcessTier tier = children.processTier();
        if (tier != null) {
            parkedTraining = tier.parking();
        }
    }

    /**
     * Resizes the route's pool when {@code pool.interval} has passed since the last look: from
     * the utilisation in between (the callers running or queued, over the pool size), by
     * {@link PoolSizer}'s rule. Called by one periodic task.
     *
     * @param nowNanos the runtime clock's reading now
     * @return whether the size changed
     */
    public synchronized boolean resizePool(long nowNanos) {
        Serving s = serving;
        if (s == null) {
            return false;
        }
        Pool p = s.pool();
        long span = nowNanos - p.lookedAt;
        if (span < s.settings().pool().intervalNanos()) {
            return false;
        }
        long occupancy = s.admission().occupancyNanos();
        int per = perUnit(s.settings());
        int size = Math.max(1, s.admission().limit() / per);
        double utilisation = (occupancy - p.occupancyAt) / ((double) size * per * span);
        p.lookedAt = nowNanos;
        p.occupancyAt = occupancy;
        int next = p.sizer.decide(size, utilisation);
        if (next == size) {
            return false;
        }
        s.admission().setLimit(next * per);
        ProcessTier tier = s.settings().isolation().process() ? children.processTier() : null;
        if (tier != null) {
            tier.resize(next); // the children follow; a parked route's next version starts with `next`
        } // a moved auto version keeps its one child: its pool counts threads of this JVM
        stats.countPoolResize();
        EventLog log = runtime.log();
        log.emit(log.line("pool-resize").put("route", name).put("from", size).put("to", next)
                .put("utilisation", Math.round(utilisation * 1000) / 1000.0));
        return true;
    }

    /** @return the route's share of the machine ({@code cpu.share}, {@code alloc.rate}), or null when it has none */
    public ShareQuota shareQuota() {
        Serving s = serving;
        return s == null ? null : s.quota();
    }

    /** @return whether the route runs on the process tier: its settings say so, or its auto version moved there */
    public boolean onProcessTier() {
        Serving s = serving;
        return s != null && (s.settings().isolation().process() || children.processTier() != null);
    }

    /** @return the pool size: how many of the route's invocations may run at once now (0 before a version) */
    public int poolSize() {
        Serving s = serving;
        return s == null ? 0 : s.admission().limit();
    }

    /**
     * Memory pressure: refuses new requests ({@code REJECTED}, 503) until {@link #resumeForMemory};
     * requests running or already queued go on, so the route drains.
     *
     * @param message the refusals' message (names the memory pressure)
     * @param retryAfterSeconds the refusals' {@code Retry-After}, at least 1
     */
    public void pauseForMemory(String message, long retryAfterSeconds) {
        memoryPause = new MemoryPause(message, Math.max(1, retryAfterSeconds));
    }

    /**
     * Admits new requests again after {@link #pauseForMemory}.
     *
     * @return whether the route was paused
     */
    public boolean resumeForMemory() {
        boolean was = memoryPause != null;
        memoryPause = null;
        return was;
    }

    /** @return whether new requests are refused for memory pressure */
    public boolean pausedForMemory() {
        return memoryPause != null;
    }

    /**
     * Memory pressure past the hard limit: retires the current version as {@link #parkIfIdle} does
     * (requests running finish on it, then it is unloaded with everything its classes hold), whether
     * or not the route is idle. The next request admitted loads it again (a cold start).
     *
     * @return the short id of the version retired, or null when none was loaded
     */
    public synchronized String recycle() {
        HandlerVersion v = versions.current();
        if (v == null || parked) {
            return null;
        }
        runtime.versionEvents().retiring(v.info());
        String id = v.shortId();
        parkingChildren();
        parked = versions.park();
        if (!parked) {
            return null;
        }
        stats.countRecycle();
        return id;
    }

    /** @return whether the route is scaled to zero: no version loaded until the next request */
    public boolean parked() {
        return parked;
    }

    /** The attempt's budgets: the route's, with the wall budget cut to what is left of the deadline. */
    private static Budgets attemptBudgets(Budgets b, long remaining, HandlerVersion version) {
        long fuel = version.options().metering() == Metering.COUNT ? b.fuel() : 0;
        return new Budgets(Math.min(b.wallNanos(), remaining), b.cpuNanos(), fuel, b.allocBytes(), b.nativeBytes());
    }

    private void finish(InvocationResult r, Serving s) {
        stats.record(r.outcome(), r.wallNanos());
        stats.countAllocated(r.allocatedBytes());
        InProcessRoute.recordInvocation(name, r);
        EventLog log = runtime.log();
        if (r.outcome().isBudget()) {
            log.emit(invocationLine("budget", r));
        } else if (r.outcome() == Outcome.DENIED) {
            log.emit(invocationLine("denied", r));
        } else if (s != null && s.settings().slowNanos() > 0 && r.wallNanos() > s.settings().slowNanos()) {
            log.emit(invocationLine("slow", r).put("slowMs", TimeUnit.NANOSECONDS.toMillis(s.settings().slowNanos())));
        }
    }

    private JsonText invocationLine(String event, InvocationResult r) {
        EventLog log = runtime.log();
        return log.line(event).put("route", name).put("version", r.version()).put("requestId", r.requestId())
                .put("outcome", r.outcome().name()).put("wallMs", r.wallNanos() / 1e6)
                .put("cpuMs", r.cpuNanos() / 1e6).put("allocatedBytes", r.allocatedBytes()).put("message", r.message());
    }

    /**
     * The {@code Retry-After} of a refused request.
     *
     * @param outcome {@code REJECTED} or {@code CIRCUIT_OPEN}
     */
    public long retryAfterSeconds(Outcome outcome) {
        Serving s = serving;
        if (outcome == Outcome.CIRCUIT_OPEN && s != null) {
            long q = quarantine.retryAfterNanos();
            long n = q >= 0 ? q : s.breaker().retryAfterNanos();
            return Math.max(1, (n + 999_999_999L) / 1_000_000_000L);
        }
        MemoryPause pause = memoryPause;
        if (outcome == Outcome.REJECTED && pause != null) {
            return pause.retryAfterSeconds();
        }
        return 1;
    }

    /** @return the settings serving now, or null before the first successful update */
    public RouteSettings settings() {
        Serving s = serving;
        return s == null ? null : s.settings();
    }

    /** @return the tier the route's handler runs on: {@code in-process}, {@code process}, {@code auto} or, with {@code runtime=provided}, {@code provided} */
    public String tier() {
        Serving s = serving;
        return s == null ? DEFAULT_TIER : s.settings().runtime().provided() ? ProvidedRuntime.TIER
                : s.settings().isolation().tier();
    }

    /** @return where the current version runs now: {@code in-process} or {@code process} (an {@code auto} version moved or not), or {@code provided} */
    public String runningIn() {
        RouteSettings s = settings();
        if (s != null && s.runtime().provided()) {
            return ProvidedRuntime.TIER;
        }
        return children.processTier() != null ? RouteSettings.Isolation.Mode.PROCESS.text : RouteSettings.Isolation.Mode.IN_PROCESS.text;
    }

    /** @return the moves of this route's versions to the process tier */
    public Escalations escalations() {
        return escalations;
    }

    /**
     * The largest request body the route takes: its {@code maxBodyBytes}, on the process tier no
     * more than the child's ring carries (less room for the request's other fields).
     *
     * @return bytes; 1 MiB before the first version
     */
    public long maxBodyBytes() {
        Serving s = serving;
        if (s == null) {
            return 1L << 20;
        }
        long max = s.settings().maxBodyBytes();
        return s.settings().isolation().process() || children.processTier() != null ? Math.min(max, ProcessTier.MAX_BODY_BYTES)
                : max;
    }

    /** @return the current version's children on the process tier, or bootstraps of a provided route, as {@code /status} shows them */
    public RouteChildren children() {
        return children;
    }

    /** @return the short id of the version serving now, or null when none is */
    public String version() {
        HandlerVersion v = versions.current();
        return v == null ? null : v.shortId();
    }

    private String currentVersion() {
        String v = version();
        return v == null ? NO_VERSION : v;
    }

    /** @return replaced versions still finishing requests */
    public int draining() {
        return versions.draining();
    }

    /** @return requests running now */
    public int inflight() {
        Serving s = serving;
        return s == null ? 0 : s.admission().inflight();
    }

    /** @return requests waiting for a slot now */
    public int queued() {
        Serving s = serving;
        return s == null ? 0 : s.admission().queued();
    }

    /** @return the breaker's state ({@code CLOSED} before the first version) */
    public CircuitBreaker.State breakerState() {
        Serving s = serving;
        return s == null ? CircuitBreaker.State.CLOSED : s.breaker().state();
    }

    /** @return the quarantine of the route's version: whether one is in force, since when and why */
    public Quarantine quarantine() {
        return quarantine;
    }

    /** @return the route's deferred work (phase 2): its queue, what it has done, its drain */
    public DeferredWork deferred() {
        return deferred;
    }

    /** @return what the route has done */
    public RouteStats stats() {
        return stats;
    }

    /** @return how the last change was taken, or null before the first */
    public ReloadReport lastReload() {
        return lastReload;
    }

    /**
     * Removes the route: its version drains (requests running and deferred work keep it) and is
     * then unloaded; its deferred work drains within {@code defer.drain} ({@link DeferredWork#close},
     * not waited for here: see {@link DeferredWork#awaitDrained}). Later requests end
     * {@code ERROR}. Idempotent.
     */
    @Override
    public synchronized void close() {
        deferred.close();
        Runnable stop = parkedTraining;
        if (stop != null) {
            stop.run(); // the route is gone: nothing of it goes on
            parkedTraining = null;
        }
        HandlerVersion v = versions.current();
        if (v != null) {
            runtime.versionEvents().retiring(v.info());
        }
        versions.close();
    }

    private static String millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos) + " ms";
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.replace('\n', ' ');
    }
}
