package dev.ringfence.agent.pipeline;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.api.Budgets;
import dev.ringfence.api.Request;
import dev.ringfence.limiter.HandedOffException;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.loader.HandlerVersion;
import dev.ringfence.loader.HandlerVersions;
import dev.ringfence.loader.LoadOptions;
import dev.ringfence.loader.UnloadWatch;
import dev.ringfence.loader.VersionException;
import dev.ringfence.loader.VersionListener;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The one route a child JVM of the process tier serves: its handler version (held for the
 * child's life), the handler, and the route's deferred work, run inside the child after each
 * response under the route's {@code defer.*} settings exactly as the host runs it in-process
 * ({@link DeferredWork}).
 *
 * <p>Assumptions and guarantees: {@link Call#attempt} may be called from the child's serving
 * threads at once. A request's deferred work is staged in its {@link Call} and handed over only by
 * {@link Call#release}, which the serving loop calls after the response frame was written, so the
 * host always learns of a request's deferred work (in its response's counts) before any of it
 * ends. {@link #drain} (on {@code STOP}) refuses new work and waits for what was accepted, within
 * the drain bound.
 */
public final class ChildRoute implements AutoCloseable {
    private final InProcessRoute handler;
    private final HandlerVersions versions;
    private final HandlerVersions.Lease lease;
    private final DeferredWork deferred;
    private final UnloadWatch watch;

    private ChildRoute(InProcessRoute handler, HandlerVersions versions, HandlerVersions.Lease lease,
            DeferredWork deferred, UnloadWatch watch) {
        this.watch = watch;
        this.handler = handler;
        this.versions = versions;
        this.lease = lease;
        this.deferred = deferred;
    }

    /**
     * Loads the version and creates its handler in the sandbox, as {@link InProcessRoute#open} does.
     *
     * @param route the route's name
     * @param classpath the handler's classpath
     * @param options how the version is loaded (its policy, metering, cache)
     * @param className the handler class
     * @param budgets the budgets of every request (and of the handler's construction)
     * @param executor the sandbox workers (deferred work runs on them too)
     * @param log where the handler's logger and the deferred-work log lines write
     * @param defer the route's deferred-work settings
     * @return the route
     * @throws VersionException when the class is missing or not a handler
     * @throws HandlerStartException when the constructor did not end {@code OK}
     */
    public static ChildRoute open(String route, List<Path> classpath, LoadOptions options, String className,
            Budgets budgets, MeteredExecutor executor, PrintStream log, RouteSettings.Defer defer)
            throws VersionException {
        // the child's one version never retires, only a spare's warm-up versions do: no collections
        // forced for them (a full one arms the entry barrier of every compiled method, JDK 21+)
        UnloadWatch watch = new UnloadWatch(UnloadWatch.DEFAULT_LEAK_BOUND, 0);
        HandlerVersions versions = new HandlerVersions(route, options, watch, new VersionListener() { });
        versions.reload(classpath, options, null,
                v -> InProcessRoute.open(route, v, className, budgets, executor, log));
        HandlerVersions.Lease lease = versions.acquire();
        DeferredWork deferred = new DeferredWork(route, executor, new EventLog(log), () -> { });
        deferred.configure(defer);
        return new ChildRoute((InProcessRoute) lease.prepared(), versions, lease, deferred, watch);
    }

    /** @return the version served */
    public HandlerVersion version() {
        return handler.version();
    }

    /** @return the handler on its version */
    public InProcessRoute handler() {
        return handler;
    }

    /**
     * Sends every piece of deferred work's end (or refusal) to {@code sink}, after it was counted
     * here, with {@link #counts()} then telling what is left.
     *
     * @param sink the channel to the host
     */
    public void forwardTo(Consumer<DeferredWork.Ended> sink) {
        deferred.forwardTo(sink);
    }

    /** @return tasks and flushes handed over and not yet ended, and items in unsealed batches */
    public long[] counts() {
        return new long[] {deferred.outstanding(), deferred.batchedItems()};
    }

    /**
     * Starts one request.
     *
     * @param requestId its id
     * @return the call: attempt it, answer it, then release it
     */
    public Call call(String requestId) {
        return new Call(deferred.handoff(requestId, null));
    }

    /**
     * Refuses new deferred work and waits for what was accepted: queued pieces may start for
     * {@code defer.drain}, each runs at most {@code defer.timeout}.
     *
     * @return whether it all ended within the bound
     */
    public boolean drain() {
        deferred.close();
        return deferred.awaitDrained(deferred.drainBoundNanos());
    }

    /** Releases the version, and stops its unload watch (a spare's warm-up closes eleven). */
    @Override
    public void close() {
        lease.close();
        versions.close();
        watch.close();
    }

    /** One request in the child: its deferred work waits here until {@link #release}. */
    public final class Call {
        private final DeferredHandoff handoff;

        private Call(DeferredHandoff handoff) {
            this.handoff = handoff;
        }

        /**
         * Runs the request on the calling host thread, as {@link InProcessRoute#attempt(Request,
         * Budgets, dev.ringfence.limiter.ShareQuota, Consumer, Consumer)} does, its handler's
         * {@code defer} and batchers staging here.
         *
         * @param request the request
         * @param budgets its budgets
         * @param onAnswer takes the result when the watchdog answers on another thread
         * @param onAbandon is told of a thread abandoned after that
         * @return how it ended
         * @throws HandedOffException when the result went to {@code onAnswer}
         */
        public InvocationResult attempt(Request request, Budgets budgets, Consumer<InvocationResult> onAnswer,
                Consumer<InvocationResult> onAbandon) {
            return handler.attempt(request, budgets, null, onAnswer, onAbandon, handoff, lease);
        }

        /**
         * @return the route's deferred work once this request's is handed over: tasks and flushes
         *     not yet ended, and items in unsealed batches
         */
        public long[] countsAfterRelease() {
            return new long[] {deferred.outstanding() + handoff.stagedTasks(),
                    deferred.batchedItems() + handoff.stagedItems()};
        }

        /** Hands the request's deferred work over: call once its response has been sent. */
        public void release() {
            handoff.release();
        }
    }
}
