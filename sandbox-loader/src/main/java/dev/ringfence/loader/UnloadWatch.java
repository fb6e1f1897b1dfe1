package dev.ringfence.loader;

import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Proves that retired handler versions are unloaded: each closed version's class loader is
 * watched through a {@link PhantomReference}; its collection is reported as
 * {@link VersionListener#onUnloaded}. A loader still alive after the leak bound is reported once as
 * {@link VersionListener#onLeaked}, with its likely cause, and stays watched, so a late collection
 * is still reported.
 *
 * <p>Within the bound the watch nudges the collector with {@link System#gc()} the configured number
 * of times, evenly spread, and only while some loader is overdue: an idle service may not collect
 * on its own for longer than the bound. With zero nudges a leak report only means "not collected
 * yet".
 *
 * <p>Assumptions and guarantees: thread-safe; one watch may serve every route. It runs a daemon
 * thread ({@code ringfence-unload-watch}) only while it watches something; listeners are called
 * on that thread. The watch holds no strong reference to a loader except while it diagnoses a
 * leak. The leak diagnosis reads other threads' thread-local maps without synchronisation (they
 * may change under it), which is good enough for a report.
 */
public final class UnloadWatch implements AutoCloseable {
    /** The default leak bound: 60 seconds. */
    public static final Duration DEFAULT_LEAK_BOUND = Duration.ofSeconds(60);
    /** The default number of {@code System.gc()} nudges within the bound. */
    public static final int DEFAULT_GC_NUDGES = 3;

    private final long boundNanos;
    private final int nudges;
    private final long tickMillis;
    private final ReferenceQueue<ClassLoader> queue = new ReferenceQueue<>();
    private final Object lock = new Object();
    private final Map<Reference<?>, Watched> watched = new IdentityHashMap<>();
    private final AtomicLong unloaded = new AtomicLong();
    private final AtomicLong leaked = new AtomicLong();
    private Thread thread;
    private boolean closed;

    /** Creates a watch with the default bound and nudges. */
    public UnloadWatch() {
        this(DEFAULT_LEAK_BOUND, DEFAULT_GC_NUDGES);
    }

    /**
     * Creates a watch.
     *
     * @param leakBound how long a closed loader may live before it is reported as a leak
     * @param gcNudges how many times to call {@code System.gc()} within the bound (0 for never)
     */
    public UnloadWatch(Duration leakBound, int gcNudges) {
        if (leakBound.isNegative() || leakBound.isZero() || gcNudges < 0) {
            throw new IllegalArgumentException("need a positive leak bound and nudges >= 0");
        }
        this.boundNanos = leakBound.toNanos();
        this.nudges = gcNudges;
        long tick = TimeUnit.NANOSECONDS.toMillis(boundNanos / (4L * (gcNudges + 1)));
        this.tickMillis = Math.max(5, Math.min(1000, tick));
    }

    /**
     * Closes a version if it is open and watches its class loader until it is collected. The
     * caller must hold no reference to the version's classes or objects any more.
     *
     * @param route the route, for events
     * @param version the version
     * @param listener receives the unload or leak event
     */
    public void watch(String route, HandlerVersion version, VersionListener listener) {
        Objects.requireNonNull(listener, "listener");
        version.close();
        VersionClassLoader loader = version.classLoader();
        Watched w = new Watched(route, version.info(), listener, new WeakReference<>(loader),
                System.nanoTime());
        PhantomReference<ClassLoader> phantom = new PhantomReference<>(loader, queue);
        synchronized (lock) {
            if (closed) {
                return;
            }
            watched.put(phantom, w);
            if (thread == null) {
                // no inherited thread locals and a host context loader: the watch must not itself
                // keep a handler's loader alive
                thread = new Thread(null, this::run, "ringfence-unload-watch", 0, false);
                thread.setDaemon(true);
                thread.setContextClassLoader(UnloadWatch.class.getClassLoader());
                thread.start();
            }
        }
    }

    private void run() {
        while (true) {
            synchronized (lock) {
                if (closed || watched.isEmpty()) {
                    thread = null;
                    return;
                }
            }
            try {
                drain(queue.remove(tickMillis));
                checkOverdue();
            } catch (InterruptedException e) {
                continue; // close() interrupts; the loop head sees it
            }
        }
    }

    private void drain(Reference<? extends ClassLoader> first) {
        for (Reference<? extends ClassLoader> r = first; r != null; r = queue.poll()) {
            Watched w;
            synchronized (lock) {
                w = watched.remove(r);
            }
            if (w != null) {
                unloaded.incrementAndGet();
                long took = System.nanoTime() - w.closedNanos;
                safely(() -> w.listener.onUnloaded(w.route, w.info, took));
            }
        }
    }

    private void checkOverdue() throws InterruptedException {
        List<Watched> snapshot;
        synchronized (lock) {
            snapshot = new ArrayList<>(watched.values());
        }
        long now = System.nanoTime();
        boolean nudge = false;
        for (Watched w : snapshot) {
            if (!w.leakReported && w.nudgesDone < nudges
                    && now - w.closedNanos >= boundNanos / (nudges + 1) * (w.nudgesDone + 1)) {
                w.nudgesDone++;
                nudge = true;
            }
        }
        if (nudge) {
            System.gc();
            drain(queue.remove(tickMillis)); // the reference handler enqueues shortly after the GC
            now = System.nanoTime();
        }
        for (Watched w : snapshot) {
            if (!w.leakReported && now - w.closedNanos >= boundNanos && stillWatched(w)) {
                reportLeak(w, now - w.closedNanos);
            }
        }
    }

    private boolean stillWatched(Watched w) {
        synchronized (lock) {
            return watched.containsValue(w);
        }
    }

    private void reportLeak(Watched w, long age) {
        ClassLoader loader = w.loader.get();
        if (loader == null) {
            return; // unreachable already: its phantom reference is about to be enqueued
        }
        String cause = LeakDiagnosis.describe(loader);
        w.leakReported = true;
        leaked.incrementAndGet();
        safely(() -> w.listener.onLeaked(w.route, w.info, age, cause));
    }

    static void safely(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            System.err.println("ringfence: a version listener threw " + e);
        }
    }

    /** @return closed loaders not collected yet, leaked ones included */
    public int watching() {
        synchronized (lock) {
            return watched.size();
        }
    }

    /** @return loaders seen collected */
    public long unloaded() {
        return unloaded.get();
    }

    /** @return loaders reported as leaks */
    public long leaked() {
        return leaked.get();
    }

    /** @return the leak bound */
    public Duration leakBound() {
        return Duration.ofNanos(boundNanos);
    }

    /** Stops watching: no more events. Idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (lock) {
            closed = true;
            watched.clear();
            t = thread;
        }
        if (t != null) {
            t.interrupt();
        }
    }

    /** One watched loader. The fields the watch thread changes are only touched by that thread. */
    private static final class Watched {
        final String route;
        final VersionInfo info;
        final VersionListener listener;
        final WeakReference<ClassLoader> loader;
        final long closedNanos;
        int nudgesDone;
        boolean leakReported;

        Watched(String route, VersionInfo info, VersionListener listener, WeakReference<ClassLoader> loader,
                long closedNanos) {
            this.route = route;
            this.info = info;
            this.listener = listener;
            this.loader = loader;
            this.closedNanos = closedNanos;
        }
    }
}
