package dev.ringfence.agent.pipeline;

import dev.ringfence.api.Outcome;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What one route has done since it was added: requests by outcome, a latency histogram with fixed
 * buckets (for Prometheus), latency percentiles (HdrHistogram, three significant digits),
 * counts of retries, reloads, cold starts, pool resizes and abandoned handler threads, the bytes
 * its invocations allocated, and what memory pressure did to it (requests refused while paused,
 * recycles). Requests the HTTP front refused for their body ({@link #recordBodyTooLarge}) are
 * requests too: counted on their own (they have no {@link Outcome}) and in the latencies.
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>Writers ({@link #record}, the {@code count…} methods) never block: counters are
 *       {@link LongAdder}s and latencies go to an HdrHistogram {@link Recorder}, whose writes are
 *       wait-free.</li>
 *   <li>Readers may run on any thread at any time; {@link #percentiles()} serialises readers and
 *       folds the values recorded since the previous read into a cumulative histogram. Figures
 *       read one after the other may disagree by the requests recorded in between.</li>
 * </ul>
 */
public final class RouteStats {
    /** The latency histogram's bucket upper bounds, in seconds. */
    public static final double[] BUCKETS_SECONDS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    /** {@link #BUCKETS_SECONDS} in nanoseconds. */
    static final long[] BUCKETS_NANOS = nanos(BUCKETS_SECONDS);

    private final LongAdder[] outcomes = adders(Outcome.values().length);
    private final LongAdder bodyTooLarge = new LongAdder();
    private final LongAdder[] buckets = adders(BUCKETS_SECONDS.length + 1);
    private final LongAdder sumNanos = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder reloads = new LongAdder();
    private final LongAdder reloadFailures = new LongAdder();
    private final LongAdder abandoned = new LongAdder();
    private final LongAdder coldStarts = new LongAdder();
    private final LongAdder poolResizes = new LongAdder();
    private final LongAdder allocatedBytes = new LongAdder();
    private final LongAdder memoryRejections = new LongAdder();
    private final LongAdder recycles = new LongAdder();
    private volatile long lastColdStartNanos;
    /**
     * The range the latency histograms hold, fixed: 1 µs to an hour, three significant digits
     * (about 190 KB each). Measured: auto-resizing ones grew, copying every count, inside the
     * recording request (2-3 ms of the first request to a route at zero, on its critical path).
     */
    static final long LOWEST_NANOS = 1_000;
    static final long HIGHEST_NANOS = TimeUnit.HOURS.toNanos(1);
    private final Recorder recorder = new Recorder(LOWEST_NANOS, HIGHEST_NANOS, 3);
    private final Histogram cumulative = new Histogram(LOWEST_NANOS, HIGHEST_NANOS, 3);
    private Histogram recycled;

    /** Latency percentiles of every request so far, in nanoseconds (0 before the first). */
    public record Percentiles(long count, long p50Nanos, long p95Nanos, long p99Nanos, long maxNanos) {
    }

    /**
     * Counts one request.
     *
     * @param outcome how it ended
     * @param wallNanos its latency, from arrival to answer
     */
    public void record(Outcome outcome, long wallNanos) {
        outcomes[outcome.ordinal()].increment();
        recordLatency(wallNanos);
    }

    /**
     * Counts one request the HTTP front answered 413 {@code BODY_TOO_LARGE} before the pipeline ran.
     *
     * @param wallNanos its latency, from arrival to answer
     */
    public void recordBodyTooLarge(long wallNanos) {
        bodyTooLarge.increment();
        recordLatency(wallNanos);
    }

    private void recordLatency(long wallNanos) {
        long v = Math.max(0, wallNanos);
        int i = 0;
        while (i < BUCKETS_NANOS.length && v > BUCKETS_NANOS[i]) {
            i++;
        }
        buckets[i].increment();
        sumNanos.add(v);
        recorder.recordValue(Math.min(v, HIGHEST_NANOS));
    }

    /** Counts one retry. */
    public void countRetry() {
        retries.increment();
    }

    /**
     * Counts one reload attempt that changed something or failed.
     *
     * @param ok whether it succeeded
     */
    public void countReload(boolean ok) {
        (ok ? reloads : reloadFailures).increment();
    }

    /**
     * Counts one cold start: a parked route loaded again for a request.
     *
     * @param nanos how long the load took (the first request's extra latency)
     */
    public void countColdStart(long nanos) {
        coldStarts.increment();
        lastColdStartNanos = nanos;
    }

    /** @return cold starts so far */
    public long coldStarts() {
        return coldStarts.sum();
    }

    /** @return how long the last cold start took, in nanoseconds; 0 before the first */
    public long lastColdStartNanos() {
        return lastColdStartNanos;
    }

    /** Counts one change of the pool's size. */
    public void countPoolResize() {
        poolResizes.increment();
    }

    /** @return changes of the pool's size so far */
    public long poolResizes() {
        return poolResizes.sum();
    }

    /** Counts one handler thread left behind. */
    public void countAbandoned() {
        abandoned.increment();
    }

    /**
     * Adds what one request's handler allocated (its last attempt's, as the result reports).
     *
     * @param bytes bytes allocated; negative values count as 0
     */
    public void countAllocated(long bytes) {
        if (bytes > 0) {
            allocatedBytes.add(bytes);
        }
    }

    /** @return bytes allocated by the route's handlers since the route was added */
    public long allocatedBytes() {
        return allocatedBytes.sum();
    }

    /** Counts one request refused because the route was paused for memory (it also ends {@code REJECTED}). */
    public void countMemoryRejection() {
        memoryRejections.increment();
    }

    /** @return requests refused while the route was paused for memory */
    public long memoryRejections() {
        return memoryRejections.sum();
    }

    /** Counts one recycle: the route's version retired and unloaded because the heap passed its hard limit. */
    public void countRecycle() {
        recycles.increment();
    }

    /** @return recycles so far */
    public long recycles() {
        return recycles.sum();
    }

    /**
     * @param outcome an outcome
     * @return requests that ended so
     */
    public long requests(Outcome outcome) {
        return outcomes[outcome.ordinal()].sum();
    }

    /** @return requests answered 413 {@code BODY_TOO_LARGE} */
    public long bodyTooLarge() {
        return bodyTooLarge.sum();
    }

    /** @return every request, whatever its outcome, those answered 413 included */
    public long requests() {
        long n = bodyTooLarge.sum();
        for (LongAdder a : outcomes) {
            n += a.sum();
        }
        return n;
    }

    /** @return requests per latency bucket, not cumulative; the last entry is above the largest bound */
    public long[] bucketCounts() {
        return sums(buckets);
    }

    /** @return the sum of every request's latency, in seconds */
    public double latencySumSeconds() {
        return sumNanos.sum() / 1e9;
    }

    /** @return retries made */
    public long retries() {
        return retries.sum();
    }

    /** @return reloads that put a new version or new settings live */
    public long reloads() {
        return reloads.sum();
    }

    /** @return reloads that failed (the previous version kept serving) */
    public long reloadFailures() {
        return reloadFailures.sum();
    }

    /** @return handler threads that did not stop and were left behind */
    public long abandoned() {
        return abandoned.sum();
    }

    /** @return percentiles over every request so far */
    public synchronized Percentiles percentiles() {
        recycled = recorder.getIntervalHistogram(recycled);
        cumulative.add(recycled);
        if (cumulative.getTotalCount() == 0) {
            return new Percentiles(0, 0, 0, 0, 0);
        }
        return new Percentiles(cumulative.getTotalCount(), cumulative.getValueAtPercentile(50),
                cumulative.getValueAtPercentile(95), cumulative.getValueAtPercentile(99), cumulative.getMaxValue());
    }

    /**
     * @param a counters
     * @return their sums now
     */
    static long[] sums(LongAdder[] a) {
        long[] c = new long[a.length];
        for (int i = 0; i < c.length; i++) {
            c[i] = a[i].sum();
        }
        return c;
    }

    /**
     * @param n how many
     * @return that many new counters
     */
    static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    private static long[] nanos(double[] seconds) {
        long[] n = new long[seconds.length];
        for (int i = 0; i < n.length; i++) {
            n[i] = Math.round(seconds[i] * 1e9);
        }
        return n;
    }
}
