package dev.ringfence.agent.pipeline;

import dev.ringfence.agent.gates.Gates;
import dev.ringfence.agent.log.EventLog;
import dev.ringfence.agent.process.SpareChild;
import dev.ringfence.agent.process.StartupCache;
import dev.ringfence.agent.process.WorkersDirectories;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.loader.InstrumentedClassCache;
import dev.ringfence.loader.UnloadWatch;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.function.LongSupplier;

/**
 * What every route of one server shares: the sandbox workers, the watch that proves retired
 * versions unloaded, the instrumented-class cache, the event log, where handlers' own log lines
 * go, the clock, and the process tier's one generic spare child (started only once a route uses
 * {@code isolation=process}). Immutable; its parts are thread-safe.
 */
public final class RouteRuntime {
    /**
     * How long a tripped handler gets to unwind before its thread is abandoned (and its version
     * quarantined). Requests served on the front's threads are answered at the trip regardless;
     * the grace only tells a late thread (a large array copy in the JDK, a busy machine) from a
     * lost one.
     */
    public static final long GRACE_NANOS = 100_000_000L;

    private final MeteredExecutor executor;
    private final UnloadWatch watch;
    private final InstrumentedClassCache cache;
    private final EventLog log;
    private final HandlerLog handlerLog;
    private final LongSupplier clock;
    private final VersionEvents versionEvents;
    private final StartupCache startupCache;
    private final SpareChild spare;

    /**
     * @param executor the sandbox workers every route's invocations run on
     * @param watch proves retired versions unloaded (reports leaks)
     * @param cache the instrumented-class cache, or null for none
     * @param log the structured event log
     * @param handlerLog where handlers' {@code Context.logger()} lines go
     * @param clock nanoseconds, for deadlines and the breaker
     */
    public RouteRuntime(MeteredExecutor executor, UnloadWatch watch, InstrumentedClassCache cache, EventLog log,
            HandlerLog handlerLog, LongSupplier clock) {
        this(executor, watch, cache, log, handlerLog, clock, null);
    }

    /**
     * @param executor the sandbox's workers
     * @param watch proves retired versions unloaded (reports leaks)
     * @param cache the instrumented-class cache, or null for none
     * @param log the structured event log
     * @param handlerLog where handlers' {@code Context.logger()} lines go
     * @param clock nanoseconds, for deadlines and the breaker
     * @param startupCache the process tier's start-up cache of child JVMs, or null for plain starts
     */
    public RouteRuntime(MeteredExecutor executor, UnloadWatch watch, InstrumentedClassCache cache, EventLog log,
            HandlerLog handlerLog, LongSupplier clock, StartupCache startupCache) {
        this.startupCache = startupCache;
        this.executor = Objects.requireNonNull(executor, "executor");
        this.watch = Objects.requireNonNull(watch, "watch");
        this.cache = cache;
        this.log = Objects.requireNonNull(log, "log");
        this.handlerLog = Objects.requireNonNull(handlerLog, "handlerLog");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.versionEvents = new VersionEvents(log);
        this.spare = new SpareChild(workersDir().resolve("spare"), ProcessBuilder.Redirect.INHERIT);
        // channel files, woven gates, caches: no route's policy reaches them
        Gates.reserve(workersDir());
        WorkersDirectories.claimAndSweep(workersDir()); // and killed servers' files do not pile up
        if (cache != null) {
            Gates.reserve(cache.directory());
        }
        if (startupCache != null) {
            Gates.reserve(startupCache.directory());
        }
    }

    /**
     * Where this server's child processes keep their channel and policy files: one directory per
     * server process in the temporary directory, a folder per route (and one for the spare).
     * Removed, once empty, when the server closes its routes ({@link RouteTable#closeAll()}).
     *
     * @return the directory (not created here)
     */
    static Path workersDir() {
        return workersDir(ProcessHandle.current().pid());
    }

    /**
     * @param serverPid a server's process id
     * @return where that server's children keep their files ({@link #workersDir()})
     */
    public static Path workersDir(long serverPid) {
        // a child whose java.io.tmpdir is its route's own was told the system's (route setting tmpdir)
        String tmp = System.getProperty(Gates.SYSTEM_TMPDIR_PROPERTY, System.getProperty("java.io.tmpdir"));
        return Path.of(tmp, "ringfence-workers-" + serverPid);
    }

    /**
     * A runtime with its own workers, a default unload watch, the default class cache,
     * {@link System#nanoTime()}, and handlers' log lines as {@code handler-log} events.
     *
     * @param log the structured event log
     * @return the runtime
     */
    public static RouteRuntime standard(EventLog log) {
        return standard(log, StartupCache.atDefaultLocation());
    }

    /**
     * {@link #standard(EventLog)} with a start-up cache of its own.
     *
     * @param log the structured event log
     * @param startupCache the process tier's start-up cache, or null for plain starts
     * @return the runtime
     */
    public static RouteRuntime standard(EventLog log, StartupCache startupCache) {
        return new RouteRuntime(new MeteredExecutor("ringfence-handler", GRACE_NANOS, 0), new UnloadWatch(),
                InstrumentedClassCache.atDefaultLocation(), log, HandlerLog.events(log), System::nanoTime, startupCache);
    }

    /** @return the process tier's start-up cache, or null for plain starts */
    StartupCache startupCache() {
        return startupCache;
    }

    MeteredExecutor executor() {
        return executor;
    }

    /**
     * Threads for a front's own pool on which routes run their handlers in place, without a
     * hand-off to a sandbox worker ({@link MeteredExecutor#hostThreads}).
     *
     * @param prefix the threads' name prefix
     * @return the factory
     */
    public ThreadFactory hostThreads(String prefix) {
        return executor.hostThreads(prefix);
    }

    /** @return the unload watch (loaders retired and not yet collected, leaks) */
    public UnloadWatch watch() {
        return watch;
    }

    InstrumentedClassCache cache() {
        return cache;
    }

    /** @return the structured event log */
    public EventLog log() {
        return log;
    }

    HandlerLog handlerLog() {
        return handlerLog;
    }

    LongSupplier clock() {
        return clock;
    }

    VersionEvents versionEvents() {
        return versionEvents;
    }

    /**
     * The host's generic spare child for the process tier: idle (no process) until a process
     * route primes it; whoever closes the routes closes it too.
     *
     * @return the spare
     */
    public SpareChild spare() {
        return spare;
    }

    /** @return handler threads abandoned by every route so far */
    public long abandonedThreads() {
        return executor.abandonedThreads();
    }
}
