package dev.ringfence.agent.cli;

import dev.ringfence.agent.gates.Gates;
import dev.ringfence.agent.pipeline.HandlerStartException;
import dev.ringfence.agent.pipeline.ChildRoute;
import dev.ringfence.agent.pipeline.RouteRuntime;
import dev.ringfence.agent.pipeline.RouteSettings;
import dev.ringfence.agent.process.SpareLoop;
import dev.ringfence.agent.process.WorkerLoop;
import dev.ringfence.agent.process.WorkerSpec;
import dev.ringfence.limiter.GateStatus;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.Metering;
import dev.ringfence.limiter.Policy;
import dev.ringfence.loader.InstrumentedClassCache;
import dev.ringfence.loader.LoadOptions;
import dev.ringfence.loader.VersionException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code worker --channel FILE} (or {@code --pipe}: stdin and stdout, the benchmarks' baseline;
 * or {@code --spare --channel FILE}: a generic spare that warms up and takes its handler flags
 * later from a {@code LOAD} message, see {@link SpareLoop})
 * and {@code invoke}'s handler flags: a child JVM of the process tier. Loads one handler version exactly as {@code invoke} does, then serves the channel a host
 * created ({@link WorkerLoop}). Started by the host, not by hand; exits 0 when told to stop, 2 when
 * the handler could not be opened (the reason also goes to the channel), 3 when its parent died,
 * 4 when its serving thread was abandoned, 5 when a gate could not be woven into a JDK class as it
 * loaded ({@link dev.ringfence.agent.gates.Gates#EXIT_GATES_BROKEN}).
 */
final class WorkerCommand {
    /**
     * How long a tripped handler gets to unwind before its thread is abandoned: the server's
     * in-process grace. A child whose serving thread is abandoned halts and is replaced, so a
     * grace a loaded machine overruns (a denial unwinding through a class being loaded) would
     * turn a clean denial into a crash.
     */
    private static final long GRACE_NANOS = RouteRuntime.GRACE_NANOS;

    private WorkerCommand() {
    }

    static int run(List<String> args, PrintStream err) {
        Gates.honourNativeLibraries(); // a child: policy.native means what it says here
        List<String> rest = new ArrayList<>(args);
        if (rest.remove(WorkerSpec.OWN_TMPDIR)) {
            Gates.ownTemporaryDirectory(); // started with -Djava.io.tmpdir=<the route's tmpdir>
        }
        if (rest.remove("--pipe")) {
            RouteSettings.Defer defer = defer(rest);
            InvokeOptions o = InvokeOptions.parse(rest);
            MeteredExecutor executor = new MeteredExecutor("ringfence-handler", GRACE_NANOS, 0);
            return WorkerLoop.servePipes(o.budgets(), executor, new Opener(o, defer, executor, err), err);
        }
        boolean spare = rest.remove("--spare");
        int at = rest.indexOf("--channel");
        if (at < 0 || at + 1 >= rest.size()) {
            throw new UsageException("worker needs --channel FILE (it is started by the host's process tier)");
        }
        Path channel = Path.of(rest.get(at + 1));
        rest.subList(at, at + 2).clear();
        // this child's channel and the server's other children's: off limits to the handler here too
        Gates.reserve(channel.toAbsolutePath().getParent());
        Optional<ProcessHandle> server = ProcessHandle.current().parent();
        if (server.isPresent()) {
            Gates.reserve(RouteRuntime.workersDir(server.get().pid()));
        }
        MeteredExecutor executor = new MeteredExecutor("ringfence-handler", GRACE_NANOS, 0);
        if (spare) {
            // warm, no handler: the version's own flags come later in a LOAD message
            return SpareLoop.serve(channel, executor, loadArgs -> {
                List<String> loaded = new ArrayList<>(loadArgs);
                if (loaded.contains(WorkerSpec.OWN_TMPDIR)) {
                    throw new UsageException("a spare runs with the system's temporary directory: it cannot serve a"
                            + " route with a tmpdir of its own");
                }
                int n = concurrency(loaded);
                RouteSettings.Defer defer = defer(loaded);
                InvokeOptions lo = InvokeOptions.parse(loaded);
                return new SpareLoop.Load(lo.budgets(), new Opener(lo, defer, executor, err), n);
            }, err);
        }
        int concurrency = concurrency(rest);
        RouteSettings.Defer defer = defer(rest);
        InvokeOptions o = InvokeOptions.parse(rest);
        return WorkerLoop.serve(channel, o.budgets(), executor, new Opener(o, defer, executor, err), err, concurrency);
    }

    /**
     * Takes {@code --defer SETTINGS} out of the arguments: the route's deferred-work settings
     * ({@link RouteSettings.Defer#toArgument()}), the defaults when absent.
     */
    private static RouteSettings.Defer defer(List<String> args) {
        int at = args.indexOf("--defer");
        if (at < 0) {
            return RouteSettings.Defer.DEFAULT;
        }
        if (at + 1 >= args.size()) {
            throw new UsageException("--defer needs a value");
        }
        RouteSettings.Defer d;
        try {
            d = RouteSettings.Defer.parse(args.get(at + 1));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        args.subList(at, at + 2).clear();
        return d;
    }

    /** Takes {@code --concurrency N} out of the arguments: requests the child runs at once, 1 when absent. */
    private static int concurrency(List<String> args) {
        int at = args.indexOf("--concurrency");
        if (at < 0) {
            return 1;
        }
        if (at + 1 >= args.size()) {
            throw new UsageException("--concurrency needs a value");
        }
        int n;
        try {
            n = Integer.parseInt(args.get(at + 1));
        } catch (NumberFormatException e) {
            throw new UsageException("--concurrency takes a whole number: " + args.get(at + 1));
        }
        if (n < 1 || n > 256) {
            throw new UsageException("--concurrency must be 1 to 256: " + n);
        }
        args.subList(at, at + 2).clear();
        return n;
    }

    /**
     * Opens the route when the serving loop asks. A class, not a lambda: a child's start-up cache
     * holds the classes a child loads on its way to ready, but a lambda's proxy only where the JVM
     * that recorded it ran the call site, which it does not run here; else the proxy is spun at
     * every start.
     */
    private static final class Opener implements Supplier<ChildRoute> {
        private final InvokeOptions o;
        private final RouteSettings.Defer defer;
        private final MeteredExecutor executor;
        private final PrintStream err;

        Opener(InvokeOptions o, RouteSettings.Defer defer, MeteredExecutor executor, PrintStream err) {
            this.o = o;
            this.defer = defer;
            this.executor = executor;
            this.err = err;
        }

        @Override
        public ChildRoute get() {
            return open(o, defer, executor, err);
        }
    }

    private static ChildRoute open(InvokeOptions o, RouteSettings.Defer defer, MeteredExecutor executor,
            PrintStream err) {
        if (!GateStatus.installed()) {
            throw new IllegalStateException("the capability gates are not installed in the worker JVM");
        }
        Policy policy = Policy.fromProperties(o.policy);
        InstrumentedClassCache cache = o.noCache ? null
                : o.cacheDir != null ? new InstrumentedClassCache(o.cacheDir, InstrumentedClassCache.DEFAULT_MAX_BYTES)
                : InstrumentedClassCache.atDefaultLocation();
        if (cache != null) {
            Gates.reserve(cache.directory());
        }
        try {
            String routeName = o.className.substring(o.className.lastIndexOf('.') + 1);
            return ChildRoute.open(routeName, o.handlers, LoadOptions.of(policy).withCache(cache)
                    .withMetering(Metering.forFuel(o.budgets().fuel())), o.className, o.budgets(), executor, err, defer);
        } catch (VersionException | HandlerStartException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
