package dev.ringfence.agent.pipeline;

import dev.ringfence.agent.lambda.LambdaAdapter;
import dev.ringfence.api.Budgets;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import dev.ringfence.jfr.RingfenceEvents;
import dev.ringfence.limiter.ShareQuota;
import dev.ringfence.limiter.HandedOffException;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.RunResult;
import dev.ringfence.loader.HandlerVersion;
import dev.ringfence.loader.HandlerVersions;
import dev.ringfence.loader.VersionException;
import java.io.PrintStream;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * One route's handler on the in-process tier: a loaded {@link HandlerVersion}, one handler
 * instance created inside the sandbox, and the budgets every invocation runs under.
 *
 * <p>Thread-safe: {@link #invoke} may be called from many threads; each call runs on its own
 * sandbox worker. Whatever the handler does, the outcome is recorded (JFR) before the call returns.
 */
public final class InProcessRoute {
    private final String route;
    private final HandlerVersion version;
    private final Handler handler;
    private final Budgets budgets;
    private final MeteredExecutor executor;
    private final HandlerLog log;
    /** This version's batchers by name ({@code Context.batcher}): they die with the version. */
    private final Map<String, DeferredBatch<?>> batchers = new ConcurrentHashMap<>();

    private InProcessRoute(String route, HandlerVersion version, Handler handler, Budgets budgets,
            MeteredExecutor executor, HandlerLog log) {
        this.route = route;
        this.version = version;
        this.handler = handler;
        this.budgets = budgets;
        this.executor = executor;
        this.log = log;
    }

    /**
     * Opens a route: checks the handler class on the host thread, then creates the handler inside
     * the sandbox (its constructor and static initialiser are handler code, run under the budgets).
     *
     * @param route the route's name
     * @param version the loaded version
     * @param className the handler class: a {@link Handler}, or an AWS Lambda {@code RequestHandler} or
     *     {@code RequestStreamHandler}, run wrapped in a {@link LambdaAdapter}
     * @param budgets the budgets of every invocation (and of the handler's construction)
     * @param executor the sandbox workers
     * @param log where the handler's logger writes: plain lines, {@code [route requestId] LEVEL message}
     * @return the route
     * @throws VersionException when the class is missing, not a handler, or has no public no-argument constructor
     * @throws HandlerStartException when the constructor did not end {@code OK} in the sandbox
     */
    public static InProcessRoute open(String route, HandlerVersion version, String className, Budgets budgets,
            MeteredExecutor executor, PrintStream log) throws VersionException {
        return open(route, version, className, budgets, executor, HandlerLog.text(log));
    }

    /**
     * Like {@link #open(String, HandlerVersion, String, Budgets, MeteredExecutor, PrintStream)}, with
     * the handler's log lines going to a {@link HandlerLog}.
     *
     * @param route the route's name
     * @param version the loaded version
     * @param className the handler class: a {@link Handler}, or an AWS Lambda {@code RequestHandler} or
     *     {@code RequestStreamHandler}, run wrapped in a {@link LambdaAdapter}
     * @param budgets the budgets of every invocation (and of the handler's construction)
     * @param executor the sandbox workers
     * @param log where the handler's logger writes
     * @return the route
     * @throws VersionException when the class is missing, not a handler, or has no public no-argument constructor
     * @throws HandlerStartException when the constructor did not end {@code OK} in the sandbox
     */
    public static InProcessRoute open(String route, HandlerVersion version, String className, Budgets budgets,
            MeteredExecutor executor, HandlerLog log) throws VersionException {
        return open(route, version, className, budgets, executor, log, RouteSettings.FunctionRuntime.JAVA);
    }

    /**
     * Like {@link #open(String, HandlerVersion, String, Budgets, MeteredExecutor, HandlerLog)}, with the
     * route's {@code runtime} settings: an AWS Lambda handler's {@code getMemoryLimitInMB} answers its
     * {@code memory} ({@link dev.ringfence.agent.lambda.LambdaMemory}).
     *
     * @param route the route's name
     * @param version the loaded version
     * @param className the handler class
     * @param budgets the budgets of every invocation (and of the handler's construction)
     * @param executor the sandbox workers
     * @param log where the handler's logger writes
     * @param runtime the route's {@code runtime} and {@code memory} settings
     * @return the route
     * @throws VersionException when the class is missing, not a handler, or has no public no-argument constructor
     * @throws HandlerStartException when the constructor did not end {@code OK} in the sandbox
     */
    public static InProcessRoute open(String route, HandlerVersion version, String className, Budgets budgets,
            MeteredExecutor executor, HandlerLog log, RouteSettings.FunctionRuntime runtime) throws VersionException {
        Class<?> c;
        try {
            c = version.loadClass(className);
            if (!(Handler.class.isAssignableFrom(c) || LambdaAdapter.isLambdaHandler(c)) || c.isInterface()
                    || Modifier.isAbstract(c.getModifiers())) {
                throw new VersionException(VersionException.Reason.NOT_A_HANDLER,
                        className + " is not a concrete class implementing " + Handler.class.getName()
                        + " (or an AWS Lambda RequestHandler or RequestStreamHandler)");
            }
            c.getConstructor();
        } catch (NoSuchMethodException e) {
            throw new VersionException(VersionException.Reason.NO_PUBLIC_CONSTRUCTOR,
                    className + " has no public no-argument constructor", e);
        } catch (LinkageError e) {
            // a class the handler's signatures name is not on its classpath (a jar missing from the route's folder)
            throw new VersionException(VersionException.Reason.CLASS_NOT_FOUND, className + " cannot be linked: " + e
                    + " (is a jar missing from the route's classpath?)", e);
        }
        RingfenceEvents.versionLoaded(route, version.shortId(), version.classCount(), (int) version.cacheHits(),
                version.loadNanos(), version.classpath().toString());
        RunResult<Handler> created = Handler.class.isAssignableFrom(c)
                ? executor.run(budgets, version.policy(), version.classLoader(), () -> version.newHandler(className))
                : LambdaAdapter.createIn(executor, budgets, version, c, route, runtime); // a Lambda handler, wrapped
        if (created.outcome() != Outcome.OK) {
            record(route, version.shortId(), "construct-" + className, created, budgets);
            throw new HandlerStartException(created.outcome(), "creating " + className + " ended "
                    + created.outcome() + ": " + created.message());
        }
        return new InProcessRoute(route, version, created.value(), budgets, executor, log);
    }

    /** @return the route's name */
    public String route() {
        return route;
    }

    /** @return the version serving this route */
    public HandlerVersion version() {
        return version;
    }

    /**
     * Runs one request under the route's budgets and records it: one {@code ringfence.Invocation}
     * event, and a budget or denial event when it tripped one.
     *
     * @param request the request
     * @return how it ended; never throws for anything the handler does
     */
    public InvocationResult invoke(Request request) {
        InvocationResult r = attempt(request, budgets);
        recordInvocation(route, r);
        return r;
    }

    /**
     * Runs one attempt of a request under the given budgets, on a sandbox worker. Emits a
     * {@code ringfence.BudgetExceeded} or {@code ringfence.Denied} event when the attempt tripped
     * one, but no {@code ringfence.Invocation} event: the caller records one per request
     * ({@link #recordInvocation}), however many attempts it made.
     *
     * @param request the request
     * @param attemptBudgets the budgets of this attempt (what is left of the request's deadline, say)
     * @return how it ended; never throws for anything the handler does
     * @throws IllegalStateException when the capability gates are not installed
     * @throws IllegalArgumentException when a fuel budget is given and the version has guarded probes
     */
    public InvocationResult attempt(Request request, Budgets attemptBudgets) {
        return attempt(request, attemptBudgets, null, null, null);
    }

    /**
     * Like {@link #attempt(Request, Budgets)}, but on the calling thread when it is one of the
     * executor's host threads ({@link MeteredExecutor#runHere}), which saves two thread
     * wake-ups. A trip is then answered at once: if the handler's thread is still in the handler
     * about a millisecond after it, {@code onAnswer} gets the result on another thread, and this
     * call, when the thread comes back, throws {@link HandedOffException}. A thread still there a
     * grace after the trip is abandoned and reported to {@code onAbandon}.
     *
     * @param request the request
     * @param attemptBudgets the budgets of this attempt
     * @param quota the route's CPU quota, or null
     * @param onAnswer takes the result when it is given on another thread, or null to always hand
     *     the attempt to a worker (which answers on this thread)
     * @param onAbandon is told of a thread abandoned after {@code onAnswer} had the result
     * @return how it ended
     * @throws HandedOffException when the result went to {@code onAnswer}
     * @throws IllegalStateException when the capability gates are not installed
     * @throws IllegalArgumentException when a fuel budget is given and the version has guarded probes
     */
    public InvocationResult attempt(Request request, Budgets attemptBudgets, ShareQuota quota,
            Consumer<InvocationResult> onAnswer, Consumer<InvocationResult> onAbandon) {
        return attempt(request, attemptBudgets, quota, onAnswer, onAbandon, null, null);
    }

    /**
     * Like {@link #attempt(Request, Budgets, ShareQuota, Consumer, Consumer)}, with the handler's
     * {@code Context.defer} and {@code Context.batcher} staging into the request's hand-off.
     *
     * @param request the request
     * @param attemptBudgets the budgets of this attempt
     * @param quota the route's CPU quota, or null
     * @param onAnswer as for the other overload
     * @param onAbandon as for the other overload
     * @param handoff the request's deferred-work hand-off, or null for none ({@code defer} then refuses)
     * @param lease the lease this attempt runs under (deferred work shares it), or null with no hand-off
     * @return how it ended
     * @throws HandedOffException when the result went to {@code onAnswer}
     */
    InvocationResult attempt(Request request, Budgets attemptBudgets, ShareQuota quota,
            Consumer<InvocationResult> onAnswer, Consumer<InvocationResult> onAbandon, DeferredHandoff handoff,
            HandlerVersions.Lease lease) {
        long start = System.nanoTime();
        DeferredHandoff.Attempt deferrals = handoff == null ? null : new DeferredHandoff.Attempt(handoff, lease, batchers);
        InvocationContext ctx = new InvocationContext(route, request.requestId(), attemptBudgets, start, log, deferrals);
        Callable<Response> call = () -> {
            DeferredWork.SCOPE.set(deferrals);
            Response resp;
            try {
                resp = handler.handle(request, ctx);
            } finally {
                DeferredWork.SCOPE.remove();
            }
            if (resp == null) {
                throw new IllegalStateException("the handler returned no response");
            }
            return resp;
        };
        RunResult<Response> r = onAnswer == null
                ? executor.run(attemptBudgets, version.policy(), version.classLoader(), quota, call)
                : executor.runHere(attemptBudgets, version.policy(), version.classLoader(), quota, call,
                        given -> onAnswer.accept(result(request, given, attemptBudgets)),
                        lost -> onAbandon.accept(new InvocationResult(request.requestId(), lost.outcome(), null,
                                lost.message(), lost.wallNanos(), lost.cpuNanos(), lost.allocatedBytes(), lost.fuel(),
                                version.shortId(), true)));
        return result(request, r, attemptBudgets);
    }

    private InvocationResult result(Request request, RunResult<Response> r, Budgets attemptBudgets) {
        recordTrip(route, version.shortId(), request.requestId(), r, attemptBudgets);
        return new InvocationResult(request.requestId(), r.outcome(), r.value(), r.message(), r.wallNanos(),
                r.cpuNanos(), r.allocatedBytes(), r.fuel(), version.shortId(), r.abandoned());
    }

    /** @return the handler class's name */
    public String handlerClass() {
        return handler.getClass().getName();
    }

    /**
     * Emits the one {@code ringfence.Invocation} event of a request.
     *
     * @param route the route's name
     * @param r how the request ended (its wall time from arrival to answer)
     */
    public static void recordInvocation(String route, InvocationResult r) {
        RingfenceEvents.invocation(route, r.version(), r.requestId(), r.outcome().name(), r.wallNanos(), r.cpuNanos(),
                r.allocatedBytes(), r.fuel(), r.message());
    }

    private static void record(String route, String version, String requestId, RunResult<?> r, Budgets budgets) {
        RingfenceEvents.invocation(route, version, requestId, r.outcome().name(), r.wallNanos(), r.cpuNanos(),
                r.allocatedBytes(), r.fuel(), r.message());
        recordTrip(route, version, requestId, r, budgets);
    }

    private static void recordTrip(String route, String version, String requestId, RunResult<?> r, Budgets budgets) {
        if (r.outcome() == Outcome.DENIED) {
            String m = r.message() == null ? "" : r.message();
            String api = m.startsWith("denied: ") ? m.substring("denied: ".length()).split(" ")[0] : m;
            RingfenceEvents.denied(route, version, requestId, api, m);
        } else if (r.outcome().isBudget()) {
            RingfenceEvents.budgetExceeded(route, version, requestId, r.outcome().name(), limit(r.outcome(), budgets),
                    used(r), r.message());
        }
    }

    private static long limit(Outcome o, Budgets b) {
        switch (o) {
            case CPU_EXCEEDED:
                return b.cpuNanos();
            case ALLOC_EXCEEDED:
                return b.allocBytes();
            case FUEL_EXCEEDED:
                return b.fuel();
            case TIMEOUT:
                return b.wallNanos();
            default:
                return 0;
        }
    }

    private static long used(RunResult<?> r) {
        switch (r.outcome()) {
            case CPU_EXCEEDED:
                return r.cpuNanos();
            case ALLOC_EXCEEDED:
                return r.allocatedBytes();
            case FUEL_EXCEEDED:
                return r.fuel();
            default:
                return r.wallNanos();
        }
    }
}
