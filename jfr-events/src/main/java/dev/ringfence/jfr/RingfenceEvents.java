package dev.ringfence.jfr;

import jdk.jfr.FlightRecorder;

/**
 * Emits the {@code ringfence.*} JFR events. One static method per event, taking primitives and
 * strings only.
 *
 * <p>Cost when JFR is off: every method first reads {@link FlightRecorder#isInitialized()}, one
 * static field that stays {@code false} until some recording is created, and returns without
 * allocating and without initialising any event class: the first initialisation of a
 * {@code jdk.jfr.Event} subclass brings up JFR's metadata repository, about 130 ms of a child
 * JVM's start on JDK 25. Once JFR is up, an event object is created and committed only if
 * {@code shouldCommit()} says its type is enabled and passes its threshold.
 *
 * <p>All methods may be called from any thread and never throw.
 */
public final class RingfenceEvents {
    private RingfenceEvents() {
    }

    /**
     * Starts timing an invocation with JFR's own clock. Pass the result to
     * {@link #commitInvocation} when the invocation completes; do not commit it yourself.
     *
     * @return a begun event, or null when JFR is not initialized (which {@link #commitInvocation}
     *     takes)
     */
    public static InvocationEvent beginInvocation() {
        if (!FlightRecorder.isInitialized()) {
            return null;
        }
        InvocationEvent event = new InvocationEvent();
        event.begin();
        return event;
    }

    /**
     * Completes an event from {@link #beginInvocation()}: ends its JFR duration, fills its
     * fields and commits it if enabled. The event must not be used afterwards.
     *
     * @param event what {@link #beginInvocation()} returned
     * @param route the route the request was addressed to
     * @param version content hash of the handler version
     * @param requestId the request's id
     * @param outcome the {@link dev.ringfence.api.Outcome} name
     * @param wallNanos wall time measured by the caller with {@code System.nanoTime()}
     * @param cpuNanos CPU time of the handler's thread
     * @param allocatedBytes bytes the handler's thread allocated
     * @param fuel ticks used
     * @param message detail, or {@code null}
     */
    public static void commitInvocation(InvocationEvent event, String route, String version,
            String requestId, String outcome, long wallNanos, long cpuNanos, long allocatedBytes,
            long fuel, String message) {
        if (event == null) {
            return;
        }
        event.end();
        if (event.shouldCommit()) {
            fill(event, route, version, requestId, outcome, wallNanos, cpuNanos, allocatedBytes,
                    fuel, message);
            event.commit();
        }
    }

    /**
     * Emits an invocation in one shot, after the fact. The event's JFR duration is zero; its
     * {@code wallNanos} field carries the latency.
     *
     * @param route the route the request was addressed to
     * @param version content hash of the handler version
     * @param requestId the request's id
     * @param outcome the {@link dev.ringfence.api.Outcome} name
     * @param wallNanos wall time measured by the caller with {@code System.nanoTime()}
     * @param cpuNanos CPU time of the handler's thread
     * @param allocatedBytes bytes the handler's thread allocated
     * @param fuel ticks used
     * @param message detail, or {@code null}
     */
    public static void invocation(String route, String version, String requestId, String outcome,
            long wallNanos, long cpuNanos, long allocatedBytes, long fuel, String message) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        InvocationEvent event = new InvocationEvent();
        if (event.shouldCommit()) {
            fill(event, route, version, requestId, outcome, wallNanos, cpuNanos, allocatedBytes,
                    fuel, message);
            event.commit();
        }
    }

    private static void fill(InvocationEvent event, String route, String version,
            String requestId, String outcome, long wallNanos, long cpuNanos, long allocatedBytes,
            long fuel, String message) {
        event.route = route;
        event.version = version;
        event.requestId = requestId;
        event.outcome = outcome;
        event.wallNanos = wallNanos;
        event.cpuNanos = cpuNanos;
        event.allocatedBytes = allocatedBytes;
        event.fuel = fuel;
        event.message = message;
    }

    /**
     * Emits {@code ringfence.BudgetExceeded}.
     *
     * @param route the route
     * @param version the handler version
     * @param requestId the request's id
     * @param outcome the {@link dev.ringfence.api.Outcome} name of the budget that ran out
     * @param limit the budget, in the outcome's unit
     * @param used what had been used when it tripped, in the same unit
     * @param message detail, or {@code null}
     */
    public static void budgetExceeded(String route, String version, String requestId,
            String outcome, long limit, long used, String message) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        BudgetExceededEvent event = new BudgetExceededEvent();
        if (event.shouldCommit()) {
            event.route = route;
            event.version = version;
            event.requestId = requestId;
            event.outcome = outcome;
            event.limit = limit;
            event.used = used;
            event.message = message;
            event.commit();
        }
    }

    /**
     * Emits {@code ringfence.Denied}. Call it at the denial site so the stack trace shows the
     * handler code that made the call.
     *
     * @param route the route
     * @param version the handler version
     * @param requestId the request's id
     * @param api the denied class, method or resource
     * @param message detail, or {@code null}
     */
    public static void denied(String route, String version, String requestId, String api,
            String message) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        DeniedEvent event = new DeniedEvent();
        if (event.shouldCommit()) {
            event.route = route;
            event.version = version;
            event.requestId = requestId;
            event.api = api;
            event.message = message;
            event.commit();
        }
    }

    /**
     * Emits {@code ringfence.VersionLoaded}.
     *
     * @param route the route
     * @param version content hash of the handler's classpath
     * @param classes classes instrumented and defined
     * @param cachedClasses classes served from the on-disk cache
     * @param loadNanos time taken to load the version
     * @param classpath the handler's classpath
     */
    public static void versionLoaded(String route, String version, int classes,
            int cachedClasses, long loadNanos, String classpath) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        VersionLoadedEvent event = new VersionLoadedEvent();
        if (event.shouldCommit()) {
            event.route = route;
            event.version = version;
            event.classes = classes;
            event.cachedClasses = cachedClasses;
            event.loadNanos = loadNanos;
            event.classpath = classpath;
            event.commit();
        }
    }

    /**
     * Emits {@code ringfence.VersionUnloaded}.
     *
     * @param route the route
     * @param version the handler version
     * @param unloadNanos time from closing the loader to the proof it was collected
     */
    public static void versionUnloaded(String route, String version, long unloadNanos) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        VersionUnloadedEvent event = new VersionUnloadedEvent();
        if (event.shouldCommit()) {
            event.route = route;
            event.version = version;
            event.unloadNanos = unloadNanos;
            event.commit();
        }
    }

    /**
     * Emits {@code ringfence.LoaderLeaked}.
     *
     * @param route the route
     * @param version the handler version
     * @param cause the likely cause of the leak
     * @param ageNanos time since the loader was closed
     */
    public static void loaderLeaked(String route, String version, String cause, long ageNanos) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        LoaderLeakedEvent event = new LoaderLeakedEvent();
        if (event.shouldCommit()) {
            event.route = route;
            event.version = version;
            event.cause = cause;
            event.ageNanos = ageNanos;
            event.commit();
        }
    }

    /**
     * Emits {@code ringfence.BreakerTransition}.
     *
     * @param route the route
     * @param from the state left ({@code CLOSED}, {@code OPEN} or {@code HALF_OPEN})
     * @param to the state entered
     */
    public static void breakerTransition(String route, String from, String to) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        BreakerTransitionEvent event = new BreakerTransitionEvent();
        if (event.shouldCommit()) {
            event.route = route;
            event.from = from;
            event.to = to;
            event.commit();
        }
    }

    /**
     * Emits {@code ringfence.Quarantined}.
     *
     * @param route the route
     * @param version the quarantined handler version
     * @param requestId the request whose handler thread was abandoned last
     * @param outcome the {@link dev.ringfence.api.Outcome} name that request ended with
     * @param abandonedThreads handler threads of this version abandoned so far
     * @param releaseAfterNanos how long the quarantine lasts, 0 until a new version loads
     * @param message detail, or {@code null}
     */
    public static void quarantined(String route, String version, String requestId, String outcome,
            long abandonedThreads, long releaseAfterNanos, String message) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        QuarantinedEvent event = new QuarantinedEvent();
        if (event.shouldCommit()) {
            event.route = route;
            event.version = version;
            event.requestId = requestId;
            event.outcome = outcome;
            event.abandonedThreads = abandonedThreads;
            event.releaseAfterNanos = releaseAfterNanos;
            event.message = message;
            event.commit();
        }
    }

    /**
     * Emits {@code ringfence.Escalated}.
     *
     * @param route the route
     * @param version the handler version that moved to the process tier
     * @param reason {@code native-budget}, {@code native-library}, {@code stuck-thread} or {@code leaked-loader}
     * @param requestId the request that showed it, or {@code null}
     * @param message detail, or {@code null}
     */
    public static void escalated(String route, String version, String reason, String requestId, String message) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        EscalatedEvent event = new EscalatedEvent();
        if (event.shouldCommit()) {
            event.route = route;
            event.version = version;
            event.reason = reason;
            event.requestId = requestId;
            event.message = message;
            event.commit();
        }
    }
    /**
     * Emits {@code ringfence.Deferred}.
     *
     * @param route the route
     * @param version the handler version whose sandbox ran it
     * @param requestId the request that deferred it, or {@code null}
     * @param kind {@code task} or {@code batch}
     * @param batch the batcher's name, or {@code null} for a task
     * @param items items handed to a flush, 0 for a task
     * @param outcome an {@link dev.ringfence.api.Outcome} name, {@code REJECTED} or {@code DROPPED}
     * @param lagNanos from hand-over to start, 0 when it never started
     * @param wallNanos how long it ran
     * @param cpuNanos CPU time of its thread
     * @param allocatedBytes bytes its thread allocated
     * @param message detail, or {@code null}
     */
    public static void deferred(String route, String version, String requestId, String kind, String batch, int items,
            String outcome, long lagNanos, long wallNanos, long cpuNanos, long allocatedBytes, String message) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        DeferredEvent event = new DeferredEvent();
        if (event.shouldCommit()) {
            event.route = route;
            event.version = version;
            event.requestId = requestId;
            event.kind = kind;
            event.batch = batch;
            event.items = items;
            event.outcome = outcome;
            event.lagNanos = lagNanos;
            event.wallNanos = wallNanos;
            event.cpuNanos = cpuNanos;
            event.allocatedBytes = allocatedBytes;
            event.message = message;
            event.commit();
        }
    }
}
