package dev.ringfence.agent.http;

import dev.ringfence.agent.log.JsonText;
import dev.ringfence.agent.pipeline.DeferredStats;
import dev.ringfence.agent.pipeline.DeferredWork;
import dev.ringfence.agent.pipeline.Escalations;
import dev.ringfence.agent.pipeline.HeapGauge;
import dev.ringfence.agent.pipeline.JvmMemory;
import dev.ringfence.agent.pipeline.MemoryWatch;
import dev.ringfence.agent.pipeline.Quarantine;
import dev.ringfence.agent.pipeline.ReloadReport;
import dev.ringfence.agent.pipeline.Route;
import dev.ringfence.agent.pipeline.RouteChildren;
import dev.ringfence.agent.pipeline.RouteSettings;
import dev.ringfence.agent.pipeline.RouteStats;
import dev.ringfence.agent.pipeline.RouteTable;
import dev.ringfence.agent.process.SpareChild;
import dev.ringfence.loader.UnloadWatch;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders {@code GET /status}: one JSON object with every route (name, handler, version, tier,
 * pool size, in-flight, queued, deferred work (queued, running and its counts), breaker state, parked, quarantine, where it runs and its last move to
 * the process tier, cold starts, request count, p99,
 * last reload result, paused for memory, memory rejections, recycles), the
 * loaders (alive, unloaded, leaked), the JVM (heap, Metaspace, loaded classes) and the memory
 * watch (state, live heap and limits as of its last reading; null when it is off).
 *
 * <p>Thread-safe; every render reads the live figures.
 */
public final class StatusPage {
    private final RouteTable routes;

    /** @param routes the routes to report */
    public StatusPage(RouteTable routes) {
        this.routes = routes;
    }

    /** @return the JSON text, one line and a newline */
    public String render() {
        List<Route> all = routes.all();
        List<JsonText> list = new ArrayList<>();
        long alive = 0;
        for (Route r : all) {
            list.add(route(r));
            alive += (r.version() == null ? 0 : 1) + r.draining();
        }
        UnloadWatch watch = routes.runtime().watch();
        JvmMemory m = JvmMemory.now();
        return new JsonText().put("routes", list)
                .put("loaders", new JsonText().put("alive", alive + watch.watching()).put("unloaded", watch.unloaded())
                        .put("leaked", watch.leaked()))
                .put("abandonedThreads", routes.runtime().abandonedThreads())
                .put("jvm", new JsonText().put("heapUsedBytes", m.heapUsedBytes())
                        .put("heapCommittedBytes", m.heapCommittedBytes()).put("heapMaxBytes", m.heapMaxBytes())
                        .put("metaspaceUsedBytes", m.metaspaceUsedBytes()).put("loadedClasses", m.loadedClasses()))
                .put("memory", memory(routes.memoryWatch()))
                .put("spare", spare(routes.runtime().spare()))
                + "\n";
    }

    /** The process tier's spare child: null until a process route started one. */
    private static JsonText spare(SpareChild spare) {
        if (spare.started() == 0) {
            return null;
        }
        return new JsonText().put("pid", spare.pid()).put("warm", spare.warm()).put("started", spare.started())
                .put("taken", spare.taken());
    }

    private static JsonText memory(MemoryWatch watch) {
        if (watch == null) {
            return null;
        }
        MemoryWatch.Status s = watch.status();
        HeapGauge.Reading r = s.reading();
        return new JsonText().put("state", s.state().name()).put("heapLiveBytes", r.liveBytes())
                .put("heapUsedBytes", r.usedBytes()).put("heapCommittedBytes", r.committedBytes())
                .put("softLimitBytes", s.softBytes() < 0 ? null : s.softBytes())
                .put("hardLimitBytes", s.hardBytes() < 0 ? null : s.hardBytes())
                .put("intervalMs", watch.limits().intervalNanos() / 1_000_000);
    }

    private static JsonText route(Route r) {
        RouteSettings s = r.settings();
        RouteStats stats = r.stats();
        long requests = stats.requests();
        ReloadReport last = r.lastReload();
        Quarantine.Status q = r.quarantine().status();
        JsonText quarantine = q == null ? null : new JsonText().put("version", q.version())
                .put("since", q.since().toString()).put("reason", q.reason()).put("requestId", q.requestId())
                .put("outcome", q.outcome().name()).put("abandonedThreads", q.abandonedThreads())
                .put("releaseAt", q.releaseAt() == null ? null : q.releaseAt().toString());
        JsonText reload = last == null ? null : new JsonText().put("ok", last.ok()).put("at", last.at().toString())
                .put("version", last.version()).put("message", last.message());
        return new JsonText().put("name", r.name()).put("handler", s == null ? null : s.handler())
                .put("version", r.version()).put("tier", r.tier()).put("poolSize", r.poolSize())
                .put("inflight", r.inflight()).put("queued", r.queued()).put("draining", r.draining())
                .put("breaker", r.breakerState().name()).put("parked", r.parked())
                .put("quarantined", q != null).put("quarantine", quarantine).put("quarantines", r.quarantine().quarantines())
                .put("coldStarts", stats.coldStarts()).put("lastColdStartMs", stats.lastColdStartNanos() / 1e6)
                .put("requests", requests).put("pausedForMemory", r.pausedForMemory())
                .put("memoryRejections", stats.memoryRejections()).put("recycles", stats.recycles())
                .put("cpuShare", r.shareQuota() == null || r.shareQuota().cores() == 0 ? null : r.shareQuota().cores())
                .put("allocRate", r.shareQuota() == null || r.shareQuota().bytesPerSecond() == 0 ? null
                        : r.shareQuota().bytesPerSecond())
                .put("sharePausedMs", r.shareQuota() == null ? 0 : r.shareQuota().pausedNanos() / 1e6)
                .put("p99Ms", stats.percentiles().p99Nanos() / 1e6)
                .put("runningIn", r.runningIn()).put("escalation", escalation(r.escalations()))
                .put("childPid", r.children().pid()).put("childrenStarted", r.children().started())
                .put("children", r.onProcessTier() ? r.children().pids() : null)
                .put("childLoads", r.onProcessTier() ? r.children().loads() : null)
                .put("childrenReady", r.onProcessTier() ? r.children().ready() : null)
                .put("childrenBusy", r.onProcessTier() ? r.children().busy() : null)
                .put("childrenFromSpare", r.onProcessTier() ? r.children().fromSpare() : null)
                .put("childMemory", childMemory(r)).put("startupCache", r.children().startupCache())
                .put("deferred", deferred(r.deferred()).put("inChildren", r.onProcessTier() ? r.children().deferred() : null))
                .put("lastReload", reload);
    }

    /**
     * Deferred work now (queued, running: the host's own) and so far (accepted, ran, failed, dropped,
     * rejected, batches: the children's included).
     */
    private static JsonText deferred(DeferredWork d) {
        DeferredStats s = d.stats();
        return new JsonText().put("queued", d.queued()).put("running", d.running()).put("accepted", s.accepted())
                .put("ran", s.ran()).put("failed", s.failed()).put("dropped", s.dropped()).put("rejected", s.rejected())
                .put("batches", s.batches()).put("batchItems", s.batchItems());
    }

    /** The last move of the route's versions to the process tier, or null when none moved. */
    private static JsonText escalation(Escalations e) {
        Escalations.Move m = e.last();
        Escalations.Reason wide = e.routeWide();
        if (m == null && wide == null && e.failures() == 0) {
            return null;
        }
        return new JsonText().put("version", m == null ? null : m.version())
                .put("reason", m == null ? null : m.reason().text()).put("requestId", m == null ? null : m.requestId())
                .put("at", m == null ? null : m.at().toString()).put("message", m == null ? null : m.message())
                .put("routeWide", wide == null ? null : wide.text()).put("failures", e.failures());
    }

    /** A process route's child memory: its last report, the resident size the host read, the envelope. */
    private static JsonText childMemory(Route r) {
        RouteChildren.Memory m = r.children().memory();
        if (m == null) {
            return null;
        }
        return new JsonText().put("heapUsedBytes", m.memory().heapUsedBytes())
                .put("heapCommittedBytes", m.memory().heapCommittedBytes())
                .put("directUsedBytes", m.memory().directUsedBytes()).put("residentBytes", m.memory().residentBytes())
                .put("softLimitBytes", m.softLimitBytes()).put("hardLimitBytes", m.hardLimitBytes())
                .put("recycles", m.recycles()).put("kills", m.kills());
    }
}
