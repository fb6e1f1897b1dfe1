package dev.ringfence.agent.pipeline;

import dev.ringfence.agent.gates.Gates;
import dev.ringfence.agent.process.WorkersDirectories;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The routes one server serves, by name, and what they share.
 *
 * <p>Thread-safe: lookups are lock-free reads of a {@link ConcurrentHashMap}, so a request never
 * waits for a reload; {@link #add} and {@link #remove} are meant for the one thread that watches
 * the routes directory.
 */
public final class RouteTable {
    private final RouteRuntime runtime;
    private final ConcurrentHashMap<String, Route> routes = new ConcurrentHashMap<>();
    private volatile MemoryWatch memoryWatch;

    /** @param runtime what the routes share */
    public RouteTable(RouteRuntime runtime) {
        this.runtime = runtime;
    }

    /**
     * @param name a route's name
     * @return the route, or null when there is none of that name
     */
    public Route get(String name) {
        return routes.get(name);
    }

    /**
     * Returns the route of that name, adding an empty one (no version yet) when there is none.
     *
     * @param name the route's name
     * @return the route
     */
    public Route getOrAdd(String name) {
        return routes.computeIfAbsent(name, n -> new Route(n, runtime));
    }

    /**
     * Removes a route and closes it: requests running finish on their version, which is then
     * unloaded.
     *
     * @param name the route's name
     * @return whether there was one
     */
    public boolean remove(String name) {
        Route r = routes.remove(name);
        if (r != null) {
            r.close();
            if (routes.values().stream().noneMatch(Route::onProcessTier)) {
                runtime.spare().stop(); // no route needs a child any more: no spare either
            }
        }
        return r != null;
    }

    /** @return every route, by name */
    public List<Route> all() {
        List<Route> list = new ArrayList<>(routes.values());
        list.sort(Comparator.comparing(Route::name));
        return list;
    }

    /** @return what the routes share */
    public RouteRuntime runtime() {
        return runtime;
    }

    /**
     * Resizes the routes' pools that are due ({@link Route#resizePool}).
     *
     * @return how many changed size
     */
    public int resizePools() {
        long now = runtime.clock().getAsLong();
        int n = 0;
        for (Route r : routes.values()) {
            n += r.resizePool(now) ? 1 : 0;
        }
        return n;
    }

    /**
     * Scales idle routes to zero ({@link Route#parkIfIdle}).
     *
     * @return how many were parked
     */
    public int parkIdle() {
        long now = runtime.clock().getAsLong();
        int n = 0;
        for (Route r : routes.values()) {
            n += r.parkIfIdle(now) ? 1 : 0;
        }
        return n;
    }

    /** @return the watch holding the heap under the server's memory limits, or null when there is none */
    public MemoryWatch memoryWatch() {
        return memoryWatch;
    }

    /** @param watch the watch holding the heap under the server's memory limits, or null for none */
    public void memoryWatch(MemoryWatch watch) {
        this.memoryWatch = watch;
    }

    /**
     * Removes and closes every route, kills the spare child of the process tier, then waits for the
     * routes' deferred work to drain, each within its bound.
     */
    public void closeAll() {
        List<Route> closed = all();
        for (Route r : closed) {
            remove(r.name());
        }
        runtime.spare().close();
        // the drains run side by side; each is bounded by its route's defer.drain and defer.timeout
        for (Route r : closed) {
            r.deferred().awaitDrained(r.deferred().drainBoundNanos());
        }
        Gates.deleteChildFiles();
        WorkersDirectories.release(RouteRuntime.workersDir());
        removeEmptyDirectories(RouteRuntime.workersDir());
    }

    /** Removes a directory tree whose files are all gone (the children's channel and policy files); keeps what is not empty. */
    private static void removeEmptyDirectories(Path dir) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        // not empty (a file a child still holds): left for the next look
                    }
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // the temporary directory is not ours to fail on
        }
    }
}
