package dev.ringfence.agent.pipeline;

import dev.ringfence.agent.gates.Gates;
import dev.ringfence.api.Outcome;
import dev.ringfence.loader.HandlerVersion;
import dev.ringfence.loader.VersionException;

/**
 * One version of an {@code isolation=auto} route: in-process until the version shows that one JVM
 * cannot contain it, then in a child JVM of the process tier for the rest of its life (the move is
 * sticky; a new version starts in-process again unless the route is marked, see
 * {@link Escalations#routeWide()}).
 *
 * <p>What moves a version ({@link #reasonToMove}): an invocation that passed its direct-memory
 * budget ({@code NATIVE_EXCEEDED}), asked to load a native library that its policy allows (only a
 * child honours that: {@link Gates#NATIVE_ONLY_IN_A_CHILD}), or left a handler thread that did not
 * stop (abandoned); and, for the whole route, a retired version's class loader that leaked.
 *
 * <p>Assumptions and guarantees: the move starts the child and returns at once; requests after it
 * wait for the child within their own deadline. Requests already running in-process finish there.
 * When no child can be started (ringfence is not running from its agent jar) the version stays
 * in-process, the failure is reported once, and it is never tried again for this version. Closing
 * closes the child; the in-process part holds nothing to close (its loader goes with its version).
 * Thread-safe.
 */
final class AutoTier implements AutoCloseable {
    private final String route;
    private final HandlerVersion version;
    private final RouteSettings settings;
    private final InProcessRoute inProcess;
    private final Escalations escalations;
    private final RouteRuntime runtime;
    /** The route's deferred work: what the child's does is reported to it. */
    private final DeferredWork deferred;
    private volatile ProcessTier child;
    // guarded by this
    private boolean closed;
    private boolean gaveUp;

    private AutoTier(String route, HandlerVersion version, RouteSettings settings, InProcessRoute inProcess,
            ProcessTier child, Escalations escalations, RouteRuntime runtime, DeferredWork deferred) {
        this.route = route;
        this.version = version;
        this.settings = settings;
        this.inProcess = inProcess;
        this.child = child;
        this.escalations = escalations;
        this.runtime = runtime;
        this.deferred = deferred;
    }

    /**
     * A version starting in-process.
     *
     * @param route the route
     * @param version the version
     * @param settings the route's settings (the child's caps and budgets, should it move)
     * @param inProcess the version's in-process handler
     * @param escalations where moves are reported
     * @param runtime the server's runtime (its start-up cache and log, for the child)
     * @param deferred the route's deferred work, which counts the child's
     * @return the tier
     */
    static AutoTier inProcess(String route, HandlerVersion version, RouteSettings settings, InProcessRoute inProcess,
            Escalations escalations, RouteRuntime runtime, DeferredWork deferred) {
        return new AutoTier(route, version, settings, inProcess, null, escalations, runtime, deferred);
    }

    /**
     * A version starting in a child, ready before it goes live (the route is marked, or the
     * handler's constructor asked for a native library).
     *
     * @param route the route
     * @param version the version
     * @param settings the route's settings
     * @param reason why it starts there
     * @param message detail for the report
     * @param escalations where the move is reported
     * @param runtime the server's runtime (its start-up cache and log, for the child)
     * @param deferred the route's deferred work, which counts the child's
     * @return the tier
     * @throws VersionException when the child could not start
     */
    static AutoTier inChild(String route, HandlerVersion version, RouteSettings settings, Escalations.Reason reason,
            String message, Escalations escalations, RouteRuntime runtime, DeferredWork deferred)
            throws VersionException {
        ProcessTier child = ProcessTier.open(route, version, settings, 1, runtime, deferred);
        escalations.moved(version.shortId(), reason, null, message);
        return new AutoTier(route, version, settings, null, child, escalations, runtime, deferred);
    }

    /**
     * What an in-process attempt's result says about containment.
     *
     * @param r how the attempt ended
     * @return the reason to move the version to a child, or null
     */
    Escalations.Reason reasonToMove(InvocationResult r) {
        if (r.abandoned()) {
            return Escalations.Reason.STUCK_THREAD;
        }
        if (r.outcome() == Outcome.NATIVE_EXCEEDED) {
            return Escalations.Reason.NATIVE_BUDGET;
        }
        if (r.outcome() == Outcome.DENIED && asksForNativeLibrary(r.message(), settings)) {
            return Escalations.Reason.NATIVE_LIBRARY;
        }
        return null;
    }

    /**
     * @param message a denial's message
     * @param s the route's settings
     * @return whether it denied a native library that the route's policy allows, for being
     *     in-process (only such a policy leads to that denial; a message that merely quotes its
     *     words, a file name say, moves nothing on a route that does not allow native libraries)
     */
    static boolean asksForNativeLibrary(String message, RouteSettings s) {
        return s.policy().nativeLibrariesAllowed() && message != null && message.contains(Gates.NATIVE_ONLY_IN_A_CHILD);
    }

    /** @return whether a denial was of a native library for being in-process, and the version now runs in a child */
    boolean movedForNativeLibrary(InvocationResult r) {
        return r.outcome() == Outcome.DENIED && asksForNativeLibrary(r.message(), settings) && child != null;
    }

    /** @return the in-process handler, or null when the version started in a child */
    InProcessRoute inProcess() {
        return inProcess;
    }

    /** @return the child, or null while the version runs in-process */
    ProcessTier child() {
        return child;
    }

    /**
     * Moves the version to a child, once.
     *
     * @param reason why
     * @param requestId the request that showed it, or null
     * @param message detail for the report
     * @return whether this call moved it (false: it had moved, was closed, or no child can start)
     */
    boolean moveToChild(Escalations.Reason reason, String requestId, String message) {
        synchronized (this) {
            if (child != null || closed || gaveUp) {
                return false;
            }
            try {
                child = ProcessTier.launch(route, version, settings, 1, runtime, deferred);
            } catch (VersionException | RuntimeException e) {
                gaveUp = true;
                escalations.failed(version.shortId(), reason, e.getMessage());
                return false;
            }
        }
        escalations.moved(version.shortId(), reason, requestId, message);
        return true;
    }

    /** Stops the child, if the version moved. */
    @Override
    public void close() {
        ProcessTier c;
        synchronized (this) {
            closed = true;
            c = child;
        }
        if (c != null) {
            c.close();
        }
    }
}
