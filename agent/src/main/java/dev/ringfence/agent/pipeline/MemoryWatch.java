package dev.ringfence.agent.pipeline;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.agent.log.JsonText;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Holds the heap under the server's {@link MemoryLimits}: read every interval ({@link #tick}),
 * a state, and what each state does to the routes.
 *
 * <ul>
 *   <li>{@code NORMAL}: every route admits requests.</li>
 *   <li>{@code SOFT} — live heap ({@link HeapGauge}) at or above the soft limit: the busiest route
 *       ({@link BusiestRoute#toPause}) is {@linkplain Route#pauseForMemory paused}: new requests
 *       end {@code REJECTED} (503, {@code Retry-After} of one interval, a message naming memory
 *       pressure) while those running finish. One route per episode; while the state lasts, the
 *       next busiest one is paused too at any reading where the live heap grew by more than 1 % of
 *       its maximum since the previous one (the pause did not stop the growth).</li>
 *   <li>{@code HARD} — a reading at or above the hard limit, or, once out of {@code NORMAL}, an
 *       instantaneous use at or above it: a full collection is asked for first, and only if the
 *       live heap is still at or above the hard limit is one route ({@link BusiestRoute#toRecycle})
 *       recycled — paused, its version retired and unloaded like a scale-to-zero park, then
 *       another full collection so what it held is freed now. One recycle per reading.</li>
 *   <li>Back to {@code NORMAL} when the live heap is under the soft limit less 5 % of the heap's
 *       maximum (hysteresis: a heap hovering at the limit does not pause and resume every
 *       interval); every paused route admits again, and a recycled one loads again on its next
 *       request. Between that mark and the soft limit the state and the pauses stay as they were
 *       ({@code HARD} becomes {@code SOFT}).</li>
 * </ul>
 *
 * <p>Every reading logs a {@code memory} line (state, live/used/committed/max heap, limits,
 * Metaspace, loaded classes, paused routes); transitions log {@code memory-soft},
 * {@code memory-hard} and {@code memory-normal}, a pause {@code memory-paused}, a recycle
 * {@code recycled} (the live heap before and after).
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>{@link #tick} is meant for one scheduled thread; it is synchronized, and may block in
 *       {@link HeapGauge#collect()} (a full GC) while {@code HARD} is suspected.</li>
 *   <li>{@link #status()} may be read from any thread: one volatile snapshot per reading.</li>
 *   <li>Requests never wait for the watch: a pause is one volatile write the request path reads.</li>
 * </ul>
 */
public final class MemoryWatch {
    /** Where the heap stands against the limits. */
    public enum State {
        /** Under the soft limit (less the hysteresis margin). */
        NORMAL,
        /** At or above the soft limit: the busiest route is paused. */
        SOFT,
        /** At or above the hard limit after a full collection: routes are recycled. */
        HARD
    }

    /**
     * The latest reading and what it meant.
     *
     * @param state the state after the reading
     * @param reading the heap
     * @param softBytes the soft limit, or -1 when off
     * @param hardBytes the hard limit, or -1 when off
     */
    public record Status(State state, HeapGauge.Reading reading, long softBytes, long hardBytes) {
    }

    /** A route's allocation total at the previous reading, and when its current version began. */
    private static final class Baseline {
        String version;
        long versionStart;
        long lastTotal;
    }

    private final RouteTable routes;
    private final MemoryLimits limits;
    private final HeapGauge gauge;
    private final EventLog log;
    private final long softBytes;
    private final long hardBytes;
    private final long resumeBelowBytes;
    private final long growthBytes;
    private final Map<Route, Baseline> baselines = new HashMap<>();
    private State state = State.NORMAL;
    private long lastLive = -1;
    private volatile Status status;

    /**
     * @param routes the routes to act on
     * @param limits the limits (resolved against the heap's maximum now)
     * @param gauge how the heap is read
     * @param log where the lines go
     */
    public MemoryWatch(RouteTable routes, MemoryLimits limits, HeapGauge gauge, EventLog log) {
        this.routes = Objects.requireNonNull(routes, "routes");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.gauge = Objects.requireNonNull(gauge, "gauge");
        this.log = Objects.requireNonNull(log, "log");
        HeapGauge.Reading first = gauge.read();
        long max = first.maxBytes();
        this.softBytes = limits.soft().bytes(max);
        this.hardBytes = limits.hard().bytes(max);
        long top = softBytes >= 0 ? softBytes : hardBytes;
        long scale = max > 0 ? max : Math.max(0, top);
        this.resumeBelowBytes = top < 0 ? -1 : Math.max(0, top - scale / 20);
        this.growthBytes = scale / 100;
        this.status = new Status(State.NORMAL, first, softBytes, hardBytes);
    }

    /** @return the latest reading and state (the first reading before any {@link #tick}) */
    public Status status() {
        return status;
    }

    /** @return the limits */
    public MemoryLimits limits() {
        return limits;
    }

    /** Reads the heap once and acts on it; see the class comment. */
    public synchronized void tick() {
        HeapGauge.Reading r = gauge.read();
        List<Route> all = routes.all();
        List<BusiestRoute.Load> loads = loads(all);
        if (hardBytes >= 0 && (r.liveBytes() >= hardBytes || state != State.NORMAL && r.usedBytes() >= hardBytes)) {
            gauge.collect(); // confirm on a heap that holds only what is reachable
            r = gauge.read();
            if (r.liveBytes() >= hardBytes) {
                moveTo(State.HARD, r);
                r = recycle(loads, r);
            }
        }
        long live = r.liveBytes();
        if (hardBytes >= 0 && live >= hardBytes) {
            moveTo(State.HARD, r);
            pauseBusiest(loads, r);
        } else if (softBytes >= 0 && live >= softBytes) {
            moveTo(State.SOFT, r);
            pauseBusiest(loads, r);
        } else if (resumeBelowBytes < 0 || live < resumeBelowBytes) {
            moveTo(State.NORMAL, r);
        } else if (state == State.HARD) {
            moveTo(State.SOFT, r);
        }
        lastLive = live;
        status = new Status(state, r, softBytes, hardBytes);
        report(r);
    }

    /** Takes every route's allocation since the previous reading and since its version was loaded. */
    private List<BusiestRoute.Load> loads(List<Route> all) {
        List<BusiestRoute.Load> loads = new ArrayList<>(all.size());
        baselines.keySet().retainAll(all);
        for (Route route : all) {
            long total = route.stats().allocatedBytes();
            String version = route.version();
            Baseline b = baselines.computeIfAbsent(route, x -> new Baseline());
            if (!Objects.equals(version, b.version)) {
                b.version = version;
                b.versionStart = b.lastTotal; // this interval's allocation counts for the new version
            }
            long interval = total - b.lastTotal;
            b.lastTotal = total;
            loads.add(new BusiestRoute.Load(route.name(), interval, total - b.versionStart, route.inflight(),
                    route.queued(), version != null, route.pausedForMemory()));
        }
        return loads;
    }

    private void pauseBusiest(List<BusiestRoute.Load> loads, HeapGauge.Reading r) {
        if (softBytes < 0) {
            return;
        }
        boolean anyPaused = routes.all().stream().anyMatch(Route::pausedForMemory);
        boolean grew = lastLive >= 0 && r.liveBytes() - lastLive > growthBytes;
        if (anyPaused && !grew) {
            return;
        }
        Optional<BusiestRoute.Load> busiest = BusiestRoute.toPause(loads);
        Route route = busiest.map(l -> routes.get(l.route())).orElse(null);
        if (route == null || route.pausedForMemory()) {
            return;
        }
        BusiestRoute.Load l = busiest.get();
        route.pauseForMemory("route " + route.name() + " is paused for memory pressure: the heap's live data ("
                + MemoryLimits.mb(r.liveBytes()) + ") is above the soft limit of " + MemoryLimits.mb(softBytes)
                + "; requests running finish, new ones are refused until the heap is back under it",
                limits.retryAfterSeconds());
        log.emit(log.line("memory-paused").put("route", route.name()).put("reason", anyPaused ? "still growing" : "busiest")
                .put("allocatedBytes", l.allocatedInInterval()).put("inflight", l.inflight()).put("queued", l.queued())
                .put("heapLiveBytes", r.liveBytes()).put("softLimitBytes", softBytes));
    }

    private HeapGauge.Reading recycle(List<BusiestRoute.Load> loads, HeapGauge.Reading before) {
        Optional<BusiestRoute.Load> victim = BusiestRoute.toRecycle(loads);
        Route route = victim.map(l -> routes.get(l.route())).orElse(null);
        if (route == null) {
            return before;
        }
        if (softBytes >= 0) {
            // not loaded straight back by the next request: it waits for the heap to come back under the soft limit
            route.pauseForMemory("route " + route.name() + " was recycled for memory pressure: the heap's live data ("
                    + MemoryLimits.mb(before.liveBytes()) + ") passed the hard limit of " + MemoryLimits.mb(hardBytes)
                    + "; it loads again once the heap is back under the soft limit of " + MemoryLimits.mb(softBytes),
                    limits.retryAfterSeconds());
        }
        String version = route.recycle();
        if (version == null) {
            return before;
        }
        Baseline b = baselines.get(route);
        if (b != null) {
            b.version = null;
            b.versionStart = b.lastTotal;
        }
        gauge.collect(); // free what the version held now (requests still running keep it until they end)
        HeapGauge.Reading after = gauge.read();
        log.emit(log.line("recycled").put("route", route.name()).put("version", version)
                .put("allocatedByVersionBytes", victim.get().allocatedByVersion()).put("inflight", route.inflight())
                .put("heapLiveBeforeBytes", before.liveBytes()).put("heapLiveAfterBytes", after.liveBytes())
                .put("hardLimitBytes", hardBytes));
        return after;
    }

    private void moveTo(State to, HeapGauge.Reading r) {
        if (state == to) {
            return;
        }
        State from = state;
        state = to;
        JsonText line = log.line("memory-" + to.name().toLowerCase(Locale.ROOT)).put("from", from.name())
                .put("heapLiveBytes", r.liveBytes()).put("heapMaxBytes", r.maxBytes())
                .put("softLimitBytes", softBytes < 0 ? null : softBytes)
                .put("hardLimitBytes", hardBytes < 0 ? null : hardBytes);
        if (to == State.NORMAL) {
            List<String> resumed = new ArrayList<>();
            for (Route route : routes.all()) {
                if (route.resumeForMemory()) {
                    resumed.add(route.name());
                }
            }
            line.put("resumed", resumed);
        }
        log.emit(line);
    }

    private void report(HeapGauge.Reading r) {
        JvmMemory m = JvmMemory.now();
        List<String> paused = new ArrayList<>();
        for (Route route : routes.all()) {
            if (route.pausedForMemory()) {
                paused.add(route.name());
            }
        }
        log.emit(log.line("memory").put("state", state.name()).put("heapLiveBytes", r.liveBytes())
                .put("heapUsedBytes", r.usedBytes()).put("heapCommittedBytes", r.committedBytes())
                .put("heapMaxBytes", r.maxBytes()).put("softLimitBytes", softBytes < 0 ? null : softBytes)
                .put("hardLimitBytes", hardBytes < 0 ? null : hardBytes).put("metaspaceUsedBytes", m.metaspaceUsedBytes())
                .put("loadedClasses", m.loadedClasses()).put("paused", paused));
    }
}
