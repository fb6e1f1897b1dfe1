package dev.ringfence.agent.http;

import dev.ringfence.agent.pipeline.CircuitBreaker;
import dev.ringfence.agent.pipeline.DeferredStats;
import dev.ringfence.agent.pipeline.DeferredWork;
import dev.ringfence.agent.pipeline.Escalations;
import dev.ringfence.agent.pipeline.HeapGauge;
import dev.ringfence.agent.pipeline.JvmMemory;
import dev.ringfence.agent.pipeline.MemoryWatch;
import dev.ringfence.agent.pipeline.Route;
import dev.ringfence.agent.pipeline.RouteStats;
import dev.ringfence.agent.pipeline.RouteTable;
import dev.ringfence.api.Outcome;
import dev.ringfence.loader.UnloadWatch;
import java.util.List;

/**
 * Renders {@code GET /metrics}: per route (label {@code route}) requests by outcome, a latency
 * histogram, p50/p95/p99, in-flight, queued, pool size, breaker state, rejections, timeouts,
 * retries, reloads, cold starts, parked, abandoned threads, quarantined and quarantines, escalations, bytes
 * allocated, memory rejections, recycles and paused for memory, deferred work (by outcome, accepted,
 * queued, running, lag histogram, batch-size histogram, batch items failed and refused); for the server, requests that
 * named no route, loaders alive, unloaded and leaked, the JVM's heap, Metaspace and loaded
 * classes, and the memory watch's state, live heap and limits. Times are in seconds, sizes in bytes.
 *
 * <p>Thread-safe; every render reads the live figures, which may move while it reads.
 */
public final class MetricsPage {
    private static final double NANOS = 1e9;
    private final RouteTable routes;
    private final FrontRefusals refusals;

    /**
     * @param routes the routes to report
     * @param refusals what the HTTP front answered itself
     */
    public MetricsPage(RouteTable routes, FrontRefusals refusals) {
        this.routes = routes;
        this.refusals = refusals;
    }

    /** @return the Prometheus text exposition (format 0.0.4) */
    public String render() {
        List<Route> all = routes.all();
        StringBuilder sb = new StringBuilder(4096);
        PrometheusText p = new PrometheusText(sb);
        p.counter("ringfence_requests_total",
                "Requests by route and outcome (BODY_TOO_LARGE: answered 413 before the pipeline ran).");
        for (Route r : all) {
            for (Outcome o : Outcome.values()) {
                p.sample(r.stats().requests(o), "route", r.name(), "outcome", o.name());
            }
            p.sample(r.stats().bodyTooLarge(), "route", r.name(), "outcome", FrontRefusals.BODY_TOO_LARGE);
        }
        p.histogram("ringfence_request_duration_seconds", "Request latency from arrival to answer, every outcome.");
        for (Route r : all) {
            RouteStats s = r.stats();
            p.buckets(RouteStats.BUCKETS_SECONDS, s.bucketCounts(), s.latencySumSeconds(), "route", r.name());
        }
        // a gauge, not a summary: the label is "percentile" because promtool reserves "quantile" for summaries
        p.gauge("ringfence_request_duration_percentile_seconds",
                "Latency percentiles over every request since the route was added (HdrHistogram, 3 significant digits).");
        for (Route r : all) {
            RouteStats.Percentiles q = r.stats().percentiles();
            p.sample(q.p50Nanos() / NANOS, "route", r.name(), "percentile", "50");
            p.sample(q.p95Nanos() / NANOS, "route", r.name(), "percentile", "95");
            p.sample(q.p99Nanos() / NANOS, "route", r.name(), "percentile", "99");
        }
        p.gauge("ringfence_inflight", "Requests running now.");
        all.forEach(r -> p.sample(r.inflight(), "route", r.name()));
        p.gauge("ringfence_queued", "Requests waiting for a slot now.");
        all.forEach(r -> p.sample(r.queued(), "route", r.name()));
        p.gauge("ringfence_pool_size", "Invocations of the route that may run at once now: its pool, resized between pool.min and pool.max.");
        all.forEach(r -> p.sample(r.poolSize(), "route", r.name()));
        p.gauge("ringfence_breaker_state", "1 for the circuit breaker's current state, 0 for the others.");
        for (Route r : all) {
            CircuitBreaker.State now = r.breakerState();
            for (CircuitBreaker.State st : CircuitBreaker.State.values()) {
                p.sample(st == now ? 1 : 0, "route", r.name(), "state", st.name());
            }
        }
        p.counter("ringfence_rejections_total",
                "Requests refused at once (REJECTED): the route's slots and queue were full, or it was paused for memory.");
        all.forEach(r -> p.sample(r.stats().requests(Outcome.REJECTED), "route", r.name()));
        p.counter("ringfence_timeouts_total", "Requests that passed their deadline, queued or running.");
        all.forEach(r -> p.sample(r.stats().requests(Outcome.TIMEOUT), "route", r.name()));
        p.counter("ringfence_retries_total", "Attempts made again after a retryable failure.");
        all.forEach(r -> p.sample(r.stats().retries(), "route", r.name()));
        p.counter("ringfence_reloads_total", "Changes to the route's folder, by result.");
        for (Route r : all) {
            p.sample(r.stats().reloads(), "route", r.name(), "result", "ok");
            p.sample(r.stats().reloadFailures(), "route", r.name(), "result", "failed");
        }
        p.counter("ringfence_pool_resizes_total", "Changes of the route's pool size.");
        all.forEach(r -> p.sample(r.stats().poolResizes(), "route", r.name()));
        p.counter("ringfence_cold_starts_total", "Requests that found the route scaled to zero and loaded it again.");
        all.forEach(r -> p.sample(r.stats().coldStarts(), "route", r.name()));
        p.gauge("ringfence_last_cold_start_seconds", "How long the last cold start took (0 before the first).");
        all.forEach(r -> p.sample(r.stats().lastColdStartNanos() / NANOS, "route", r.name()));
        p.gauge("ringfence_parked", "1 while the route is scaled to zero.");
        all.forEach(r -> p.sample(r.parked() ? 1 : 0, "route", r.name()));
        List<Route> inChildren = all.stream().filter(Route::onProcessTier).toList();
        if (!inChildren.isEmpty()) {
            p.gauge("ringfence_process_children", "Child JVMs running the route's current version (isolation=process).");
            inChildren.forEach(r -> p.sample(r.children().pids().stream().filter(pid -> pid > 0).count(), "route", r.name()));
        }
        p.counter("ringfence_abandoned_threads_total", "Handler threads that did not stop after a trip and were left behind.");
        all.forEach(r -> p.sample(r.stats().abandoned(), "route", r.name()));
        p.gauge("ringfence_quarantined", "1 while the route's version is quarantined: its requests end CIRCUIT_OPEN.");
        all.forEach(r -> p.sample(r.quarantine().quarantined() ? 1 : 0, "route", r.name()));
        p.counter("ringfence_quarantines_total", "Versions of the route quarantined after their handler threads were abandoned.");
        all.forEach(r -> p.sample(r.quarantine().quarantines(), "route", r.name()));
        p.counter("ringfence_escalations_total", "Versions of an isolation=auto route moved to the process tier, by reason.");
        all.forEach(r -> {
            for (Escalations.Reason why : Escalations.Reason.values()) {
                p.sample(r.escalations().count(why), "route", r.name(), "reason", why.text());
            }
        });
        p.gauge("ringfence_cpu_share_cores", "The route's cpu.share: cores its invocations may use together (0: no limit).");
        all.forEach(r -> p.sample(r.shareQuota() == null ? 0 : r.shareQuota().cores(), "route", r.name()));
        p.gauge("ringfence_alloc_rate_bytes_per_second",
                "The route's alloc.rate: bytes a second its invocations may allocate together (0: no limit).");
        all.forEach(r -> p.sample(r.shareQuota() == null ? 0 : r.shareQuota().bytesPerSecond(), "route", r.name()));
        p.counter("ringfence_share_paused_seconds_total",
                "Time the route's invocations spent paused by its cpu.share or alloc.rate.");
        all.forEach(r -> p.sample(r.shareQuota() == null ? 0 : r.shareQuota().pausedNanos() / NANOS, "route", r.name()));
        memoryFamilies(p, all);
        deferredFamilies(p, all);
        serverFamilies(p, all);
        return sb.toString();
    }

    private void memoryFamilies(PrometheusText p, List<Route> all) {
        p.counter("ringfence_allocated_bytes_total", "Bytes allocated by the route's handlers.");
        all.forEach(r -> p.sample(r.stats().allocatedBytes(), "route", r.name()));
        p.counter("ringfence_memory_rejections_total",
                "Requests refused because the route was paused for memory (also in ringfence_rejections_total).");
        all.forEach(r -> p.sample(r.stats().memoryRejections(), "route", r.name()));
        p.counter("ringfence_recycles_total",
                "Times the route's version was unloaded because the heap passed its hard limit.");
        all.forEach(r -> p.sample(r.stats().recycles(), "route", r.name()));
        p.gauge("ringfence_paused_for_memory",
                "1 while the route refuses new requests because the heap is over its soft limit.");
        all.forEach(r -> p.sample(r.pausedForMemory() ? 1 : 0, "route", r.name()));
        MemoryWatch watch = routes.memoryWatch();
        if (watch == null) {
            return;
        }
        MemoryWatch.Status s = watch.status();
        HeapGauge.Reading h = s.reading();
        p.gauge("ringfence_memory_state", "1 for the memory watch's current state, 0 for the others.");
        for (MemoryWatch.State st : MemoryWatch.State.values()) {
            p.sample(st == s.state() ? 1 : 0, "state", st.name());
        }
        p.gauge("ringfence_memory_heap_live_bytes",
                "Heap that survived collection (old generation and survivors), as of the watch's last reading.");
        p.sample(h.liveBytes());
        if (s.softBytes() >= 0) {
            p.gauge("ringfence_memory_soft_limit_bytes", "Live heap at which the busiest route stops admitting requests.");
            p.sample(s.softBytes());
        }
        if (s.hardBytes() >= 0) {
            p.gauge("ringfence_memory_hard_limit_bytes", "Live heap at which a route is recycled.");
            p.sample(s.hardBytes());
        }
    }

    private static void deferredFamilies(PrometheusText p, List<Route> all) {
        p.counter("ringfence_deferred_total", "Deferred work (Context.defer tasks and batch flushes) by outcome: an"
                + " Outcome when it ran, DROPPED when a drain's bound passed before it started, REJECTED when the"
                + " deferred queue was full or the route shutting down.");
        for (Route r : all) {
            DeferredStats d = r.deferred().stats();
            for (Outcome o : Outcome.values()) {
                if (o != Outcome.REJECTED) {
                    p.sample(d.ended(o), "route", r.name(), "outcome", o.name());
                }
            }
            p.sample(d.dropped(), "route", r.name(), "outcome", DeferredWork.DROPPED);
            p.sample(d.rejected() + d.ended(Outcome.REJECTED), "route", r.name(), "outcome", DeferredWork.REJECTED);
        }
        p.counter("ringfence_deferred_accepted_total", "Deferred tasks and batch flushes accepted into the queue.");
        all.forEach(r -> p.sample(r.deferred().stats().accepted(), "route", r.name()));
        p.gauge("ringfence_deferred_queued", "Deferred work accepted and not yet started (staged in unanswered requests included).");
        all.forEach(r -> p.sample(r.deferred().queued(), "route", r.name()));
        p.gauge("ringfence_deferred_running", "Deferred work running now.");
        all.forEach(r -> p.sample(r.deferred().running(), "route", r.name()));
        p.histogram("ringfence_deferred_lag_seconds", "Deferred work's lag: from its hand-over (after the response) to its start.");
        for (Route r : all) {
            DeferredStats d = r.deferred().stats();
            p.buckets(RouteStats.BUCKETS_SECONDS, d.lagBucketCounts(), d.lagSumSeconds(), "route", r.name());
        }
        p.histogram("ringfence_deferred_batch_items", "Items per batch flush sealed.");
        for (Route r : all) {
            DeferredStats d = r.deferred().stats();
            p.buckets(DeferredStats.BATCH_BUCKETS, d.batchBucketCounts(), d.batchItems(), "route", r.name());
        }
        p.counter("ringfence_deferred_batch_items_failed_total",
                "Batch items in flushes that did not end OK or were dropped (flushes are not retried).");
        all.forEach(r -> p.sample(r.deferred().stats().failedItems(), "route", r.name()));
        p.counter("ringfence_deferred_batch_items_rejected_total",
                "Batch items refused: added while the deferred queue was full, or in a flush it refused.");
        all.forEach(r -> p.sample(r.deferred().stats().rejectedItems(), "route", r.name()));
    }

    private void serverFamilies(PrometheusText p, List<Route> all) {
        p.counter("ringfence_unrouted_requests_total",
                "Requests to /fn/<route> that reached no route, by reason (NOT_FOUND: no route of that name).");
        p.sample(refusals.notFound(), "reason", FrontRefusals.NOT_FOUND);
        UnloadWatch watch = routes.runtime().watch();
        long current = all.stream().filter(r -> r.version() != null).count();
        long draining = all.stream().mapToLong(Route::draining).sum();
        p.gauge("ringfence_loaders_alive", "Handler class loaders not yet collected: serving, draining, or retired and awaiting GC.");
        p.sample(current + draining + watch.watching());
        p.counter("ringfence_loaders_unloaded_total", "Retired class loaders proven collected.");
        p.sample(watch.unloaded());
        p.counter("ringfence_loaders_leaked_total", "Retired class loaders still alive after the leak bound.");
        p.sample(watch.leaked());
        JvmMemory m = JvmMemory.now();
        p.gauge("ringfence_jvm_heap_used_bytes", "Heap in use.");
        p.sample(m.heapUsedBytes());
        p.gauge("ringfence_jvm_heap_committed_bytes", "Heap the JVM holds from the operating system.");
        p.sample(m.heapCommittedBytes());
        p.gauge("ringfence_jvm_heap_max_bytes", "The heap's maximum (-1 when undefined).");
        p.sample(m.heapMaxBytes());
        p.gauge("ringfence_jvm_metaspace_used_bytes", "Metaspace in use.");
        p.sample(m.metaspaceUsedBytes());
        p.gauge("ringfence_jvm_classes_loaded", "Classes loaded now.");
        p.sample(m.loadedClasses());
    }
}
