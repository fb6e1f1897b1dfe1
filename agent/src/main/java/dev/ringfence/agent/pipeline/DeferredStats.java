package dev.ringfence.agent.pipeline;

import dev.ringfence.api.Outcome;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one route's deferred work (phase 2) has done since the route was added: pieces accepted,
 * how each ended (an {@link Outcome}, or {@code DROPPED} when a drain's bound passed before it
 * started), pieces refused a queue place ({@code REJECTED}), the lag from hand-over to start as a
 * histogram with {@link RouteStats#BUCKETS_SECONDS}' buckets, and per batcher flush its item
 * count, as a histogram with {@link #BATCH_BUCKETS}.
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>Writers never block (every figure is a {@link LongAdder}); readers may run on any thread,
 *       and figures read one after the other may disagree by what was recorded in between.</li>
 *   <li>Every piece accepted ends in exactly one of {@link #ended}'s outcomes or {@code DROPPED};
 *       so, once the route is idle, {@code accepted = sum of ended + dropped}. A refused piece is
 *       counted in {@link #rejected()} only, never as accepted.</li>
 * </ul>
 */
public final class DeferredStats {
    /** The batch-size histogram's bucket upper bounds, in items. */
    public static final double[] BATCH_BUCKETS = {1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000};


    private final LongAdder accepted = new LongAdder();
    private final LongAdder[] ended = RouteStats.adders(Outcome.values().length);
    private final LongAdder dropped = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder rejectedItems = new LongAdder();
    private final LongAdder[] lagBuckets = RouteStats.adders(RouteStats.BUCKETS_NANOS.length + 1);
    private final LongAdder lagSumNanos = new LongAdder();
    private final LongAdder[] batchBuckets = RouteStats.adders(BATCH_BUCKETS.length + 1);
    private final LongAdder batchItems = new LongAdder();
    private final LongAdder failedItems = new LongAdder();

    void countAccepted() {
        accepted.increment();
    }

    void countStarted(long lagNanos) {
        long v = Math.max(0, lagNanos);
        int i = 0;
        while (i < RouteStats.BUCKETS_NANOS.length && v > RouteStats.BUCKETS_NANOS[i]) {
            i++;
        }
        lagBuckets[i].increment();
        lagSumNanos.add(v);
    }

    void countEnded(Outcome outcome, int items) {
        ended[outcome.ordinal()].increment();
        if (outcome != Outcome.OK) {
            failedItems.add(items);
        }
    }

    void countDropped(int items) {
        dropped.increment();
        failedItems.add(items);
    }

    /** Counts pieces a child had accepted and not run when it died, and the unsealed batch items it held. */
    void countLost(long pieces, long items) {
        accepted.add(pieces);
        dropped.add(pieces);
        failedItems.add(items);
    }

    void countRejected(int items) {
        rejected.increment();
        rejectedItems.add(items);
    }

    void countBatch(int items) {
        int i = 0;
        while (i < BATCH_BUCKETS.length && items > BATCH_BUCKETS[i]) {
            i++;
        }
        batchBuckets[i].increment();
        batchItems.add(items);
    }

    /** @return deferred tasks and batch flushes accepted into the queue */
    public long accepted() {
        return accepted.sum();
    }

    /**
     * @param outcome an outcome
     * @return pieces that ran and ended so
     */
    public long ended(Outcome outcome) {
        return ended[outcome.ordinal()].sum();
    }

    /** @return pieces that ran, whatever their outcome */
    public long ran() {
        long n = 0;
        for (LongAdder a : ended) {
            n += a.sum();
        }
        return n;
    }

    /** @return pieces that ran and did not end {@code OK} */
    public long failed() {
        return ran() - ended(Outcome.OK);
    }

    /** @return pieces accepted but not started before a drain's bound passed */
    public long dropped() {
        return dropped.sum();
    }

    /** @return pieces refused because the queue was full or the route was shutting down */
    public long rejected() {
        return rejected.sum();
    }

    /** @return batch items refused: added when the queue was full, or in a flush the queue refused */
    public long rejectedItems() {
        return rejectedItems.sum();
    }

    /** @return pieces started per lag bucket ({@link RouteStats#BUCKETS_SECONDS}), not cumulative; the last is above the largest */
    public long[] lagBucketCounts() {
        return RouteStats.sums(lagBuckets);
    }

    /** @return the sum of every started piece's lag, in seconds */
    public double lagSumSeconds() {
        return lagSumNanos.sum() / 1e9;
    }

    /** @return flushes per size bucket ({@link #BATCH_BUCKETS}), not cumulative; the last is above the largest */
    public long[] batchBucketCounts() {
        return RouteStats.sums(batchBuckets);
    }

    /** @return flushes sealed (handed to the queue or refused by it) */
    public long batches() {
        long n = 0;
        for (LongAdder a : batchBuckets) {
            n += a.sum();
        }
        return n;
    }

    /** @return items in every flush sealed */
    public long batchItems() {
        return batchItems.sum();
    }

    /** @return items in flushes that did not end {@code OK} or were dropped (at-most-once: not retried) */
    public long failedItems() {
        return failedItems.sum();
    }
}
