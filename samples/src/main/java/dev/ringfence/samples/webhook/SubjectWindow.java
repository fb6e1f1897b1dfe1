package dev.ringfence.samples.webhook;

import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts each subject hash's arrivals within a sliding window, in memory, so phase 1 knows at once
 * when a subject has repeated often enough to become a dynamic rule (phase 2 stores the tracker
 * rows and the rule). Memory is bounded: a hash keeps at most {@code threshold} arrival times,
 * hashes whose last arrival left the window are swept every {@value #SWEEP_EVERY} arrivals, and
 * beyond {@value #MAX_TRACKED} hashes the ones seen only once are forgotten too (a repeat then
 * counts from its next arrival; the database's count in phase 2 still sees every repeat).
 *
 * <p>Thread-safe: each hash's times are updated under that hash's lock.
 */
public final class SubjectWindow {
    private static final int SWEEP_EVERY = 4096;
    private static final int MAX_TRACKED = 50_000;

    private final long windowNanos;
    private final int threshold;
    private final ConcurrentHashMap<Long, ArrayDeque<Long>> arrivals = new ConcurrentHashMap<>();
    private int sinceSweep;

    /**
     * @param windowNanos how far back arrivals count
     * @param threshold arrivals within the window that make a dynamic rule (at least 2)
     */
    public SubjectWindow(long windowNanos, int threshold) {
        if (windowNanos <= 0 || threshold < 2) {
            throw new IllegalArgumentException("the window must be > 0 and the threshold >= 2");
        }
        this.windowNanos = windowNanos;
        this.threshold = threshold;
    }

    /**
     * Counts one arrival.
     *
     * @param hash the subject's hash
     * @param now nanoseconds, as {@link System#nanoTime()}
     * @return true exactly when this arrival reaches the threshold within the window
     */
    public boolean arrive(long hash, long now) {
        ArrayDeque<Long> times = arrivals.computeIfAbsent(hash, h -> new ArrayDeque<>(threshold));
        boolean reached;
        synchronized (times) {
            while (!times.isEmpty() && now - times.peekFirst() > windowNanos) {
                times.pollFirst();
            }
            times.addLast(now);
            reached = times.size() == threshold;
            if (times.size() > threshold) {
                times.pollFirst();
            }
        }
        sweep(now);
        return reached;
    }

    private void sweep(long now) {
        synchronized (this) {
            if (++sinceSweep < SWEEP_EVERY) {
                return;
            }
            sinceSweep = 0;
        }
        boolean crowded = arrivals.size() > MAX_TRACKED;
        arrivals.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                Long last = e.getValue().peekLast();
                return last == null || now - last > windowNanos || crowded && e.getValue().size() == 1;
            }
        });
    }

    /** @return hashes tracked now */
    public int tracked() {
        return arrivals.size();
    }
}
