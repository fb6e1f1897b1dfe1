package dev.ringfence.agent.serve;

import dev.ringfence.agent.http.HttpFront;
import dev.ringfence.agent.jmx.RouteMBeans;
import dev.ringfence.agent.log.EventLog;
import dev.ringfence.agent.pipeline.HeapGauge;
import dev.ringfence.agent.pipeline.MemoryLimits;
import dev.ringfence.agent.pipeline.MemoryWatch;
import dev.ringfence.agent.pipeline.Route;
import dev.ringfence.agent.pipeline.RouteDefaults;
import dev.ringfence.agent.pipeline.RouteRuntime;
import dev.ringfence.agent.pipeline.RouteTable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The {@code serve} runtime: a routes directory watched for changes, the routes it holds, and
 * the HTTP front serving them; registered with {@link Ringfence} while it runs so the host can
 * call its routes in-process, and its figures registered as JMX MXBeans ({@link RouteMBeans}).
 *
 * <p>Lifecycle: {@link #start} loads the routes already in the directory, binds, then polls the
 * directory every {@link RouteDirectory#POLL_MILLIS} and scales routes idle for their {@code idle}
 * setting to zero (checked every second), and holds the heap under the {@code memory.*} limits
 * ({@link MemoryWatch}, every {@code memory.interval}, on the same thread); {@link #stop} drains
 * (bounded) and releases everything. Thread-safe; {@code stop} is idempotent. The directory and
 * HTTP threads are daemon threads when {@code start} is called from a daemon thread (the HTTP
 * dispatcher inherits it).
 */
public final class ServeRuntime implements AutoCloseable {
    /** How often idle routes are looked for (scale-to-zero). */
    static final long IDLE_CHECK_MILLIS = 1000;
    /** How often a starting server looks again at route folders that are settling. */
    private static final long SETTLING_LOOK_MILLIS = 25;

    private final ServeConfig config;
    private final RouteTable routes;
    private final RouteDirectory directory;
    private final HttpFront front;
    private final EventLog log;
    private final ScheduledExecutorService idleCheck;
    private final RouteMBeans mbeans;
    private boolean stopped;

    private ServeRuntime(ServeConfig config, RouteTable routes, RouteDirectory directory, HttpFront front, EventLog log,
            RouteMBeans mbeans) {
        this.mbeans = mbeans;
        this.config = config;
        this.routes = routes;
        this.directory = directory;
        this.front = front;
        this.log = log;
        this.idleCheck = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ringfence-idle");
            t.setDaemon(true);
            return t;
        });
        idleCheck.scheduleWithFixedDelay(this::parkIdle, IDLE_CHECK_MILLIS, IDLE_CHECK_MILLIS, TimeUnit.MILLISECONDS);
        MemoryLimits limits = config.memory();
        if (!limits.off()) {
            MemoryWatch watch = new MemoryWatch(routes, limits, HeapGauge.jvm(), log);
            routes.memoryWatch(watch);
            idleCheck.scheduleWithFixedDelay(() -> watchMemory(watch), limits.intervalNanos(), limits.intervalNanos(),
                    TimeUnit.NANOSECONDS);
        }
    }

    private void watchMemory(MemoryWatch watch) {
        try {
            watch.tick();
        } catch (RuntimeException e) {
            log.emit(log.line("memory-check-failed").put("message", String.valueOf(e)));
        }
    }

    private void parkIdle() {
        try {
            routes.parkIdle();
            routes.resizePools();
        } catch (RuntimeException e) {
            log.emit(log.line("idle-check-failed").put("message", String.valueOf(e)));
        }
    }

    /**
     * Loads the routes in the directory, binds the HTTP front and starts watching.
     *
     * @param config the server's settings
     * @param log the structured event log (handlers' own log lines included, as {@code handler-log} events)
     * @return the running runtime
     * @throws IllegalArgumentException when the routes directory does not exist
     * @throws IOException when the directory cannot be listed or the address cannot be bound
     */
    public static ServeRuntime start(ServeConfig config, EventLog log) throws IOException {
        Path dir = config.routesDir();
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("no such routes directory: " + dir);
        }
        RouteTable routes = new RouteTable(RouteRuntime.standard(log, config.workerCache()));
        RouteMBeans mbeans = new RouteMBeans();
        RouteDirectory directory = RouteDirectory.of(dir, new Target(routes, config.defaults(), log, mbeans), log);
        HttpFront front = null;
        try {
            directory.poll();
            awaitSettling(directory);
            front = HttpFront.start(new InetSocketAddress(config.host(), config.port()), config.threads(), routes);
        } catch (IOException | RuntimeException e) {
            routes.closeAll();
            throw e;
        }
        directory.start(RouteDirectory.POLL_MILLIS);
        ServeRuntime runtime = new ServeRuntime(config, routes, directory, front, log, mbeans);
        mbeans.registerServer(routes, runtime::url);
        InetSocketAddress a = front.address();
        log.emit(log.line("listening").put("url", url(a)).put("routesDir", dir.toAbsolutePath().toString())
                .put("routes", routes.all().stream().map(Route::name).toList()));
        Ringfence.install(runtime);
        return runtime;
    }

    /** @return {@code http://host:port} of the front */
    public String url() {
        return url(front.address());
    }

    private static String url(InetSocketAddress a) {
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** @return the address the front listens on */
    public InetSocketAddress address() {
        return front.address();
    }

    /** @return the routes served */
    public RouteTable routes() {
        return routes;
    }

    /** @return the server's settings */
    public ServeConfig config() {
        return config;
    }

    /**
     * Stops: new requests are answered 503 while the ones in flight finish (at most the
     * configured drain time), then the directory watch, the routes and the front are closed.
     *
     * @return whether every request in flight finished within the drain time
     */
    public synchronized boolean stop() {
        if (stopped) {
            return true;
        }
        stopped = true;
        Ringfence.uninstall(this);
        log.emit(log.line("draining").put("inflight", front.activeExchanges())
                .put("boundMs", TimeUnit.NANOSECONDS.toMillis(config.drainNanos())));
        boolean drained = front.drain(config.drainNanos());
        idleCheck.shutdownNow();
        directory.close();
        front.stop();
        for (Route r : routes.all()) {
            mbeans.unregister(r.name());
        }
        mbeans.unregisterServer();
        routes.closeAll();
        log.emit(log.line("stopped").put("drained", drained));
        return drained;
    }

    /**
     * Polls again while a route folder written just before the start is settling (bounded by
     * twice the settle time), so that the routes a server was started on serve when it says it
     * listens; a folder still changing after that is loaded when it settles, as later changes are.
     */
    private static void awaitSettling(RouteDirectory directory) throws IOException {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2 * directory.settleMillis());
        while (directory.settling() && System.nanoTime() - until < 0) {
            try {
                Thread.sleep(SETTLING_LOOK_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            directory.poll();
        }
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    /** Applies the directory's changes to the route table. */
    private static final class Target implements RouteDirectory.Target {
        private final RouteTable routes;
        private final RouteDefaults defaults;
        private final EventLog log;
        private final RouteMBeans mbeans;

        Target(RouteTable routes, RouteDefaults defaults, EventLog log, RouteMBeans mbeans) {
            this.routes = routes;
            this.defaults = defaults;
            this.log = log;
            this.mbeans = mbeans;
        }

        @Override
        public void apply(String name, Path settingsFile, List<Path> jars) {
            if (routes.get(name) == null) {
                log.emit(log.line("route-added").put("route", name).put("folder", settingsFile.getParent().toString()));
                mbeans.register(routes.getOrAdd(name));
            }
            routes.getOrAdd(name).update(settingsFile, jars, defaults);
        }

        @Override
        public void remove(String name) {
            mbeans.unregister(name);
            if (routes.remove(name)) {
                log.emit(log.line("route-removed").put("route", name));
            }
        }
    }
}
