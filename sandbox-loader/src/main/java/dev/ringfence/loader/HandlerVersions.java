package dev.ringfence.loader;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The handler versions of one route: the current version, hot reload, and the retirement of
 * replaced versions.
 *
 * <p>{@link #reload} builds the new version on the calling thread and, unless its content hash,
 * policy, metering and variant equal the current version's, makes it current in one atomic step.
 * A {@link Preparation} given to {@link #reload(List, LoadOptions, String, Preparation)} runs on the
 * new version before it goes live (it creates the route's handler, say); when it fails the new
 * version is retired at once and the current one stays, and what it returns travels with every
 * lease of that version ({@link Lease#prepared()}). Invocations take a {@link Lease} on the current
 * version for their whole run; a replaced version is closed once its last lease is closed (and what
 * its preparation returned with it, when that is {@link AutoCloseable}), and
 * handed to the {@link UnloadWatch}, which reports when its loader is collected, or that it leaked.
 *
 * <p>Assumptions and guarantees: {@link #acquire} and {@link Lease#close} are lock-free and may be
 * called from any number of threads; {@link #reload} and {@link #close} are serialised with each
 * other. A lease always holds a version that is not closed, and every version is closed exactly
 * once, after its last lease. Close a lease when the metered run returns, even when its thread was
 * abandoned: the version then drains, and the abandoned thread, which still holds the loader, is
 * what the leak report names. A lease whose thread is abandoned inside the run (it may never
 * return) is {@linkplain Lease#abandon abandoned}: the version stays open for it, and so is never
 * handed to the watch while that thread lives, but what its preparation made (a child process)
 * is closed once no other lease holds it and it is no longer current.
 */
public final class HandlerVersions implements AutoCloseable {
    private static final long ONE_REF = 1L << 32;
    private static final long ONE_HOLD = 1L;
    private static final long HOLD_MASK = 0xFFFF_FFFFL;
    private final String route;
    private final UnloadWatch watch;
    private final VersionListener listener;
    private final AtomicInteger draining = new AtomicInteger();
    private volatile LoadOptions options;
    private volatile Live current;
    private boolean closed;

    /**
     * Creates the route's version holder, with no version yet.
     *
     * @param route the route's name, used in events
     * @param options how versions are loaded
     * @param watch the watch that verifies retired versions are collected (may be shared by routes)
     * @param listener receives the route's version events
     */
    public HandlerVersions(String route, LoadOptions options, UnloadWatch watch, VersionListener listener) {
        this.route = Objects.requireNonNull(route, "route");
        this.options = Objects.requireNonNull(options, "options");
        this.watch = Objects.requireNonNull(watch, "watch");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Loads a classpath and makes it the current version, unless it has the current version's
     * content. The replaced version drains: it is closed when its last lease is closed.
     *
     * @param classpath jars and class directories, in lookup order
     * @return true when a new version went live, false when the content was the same
     * @throws VersionException when the new version cannot be loaded (the current one stays)
     * @throws IllegalStateException once closed
     */
    public boolean reload(List<Path> classpath) throws VersionException {
        return reload(classpath, options);
    }

    /**
     * Like {@link #reload(List)} with new load options (a new policy, say): the same content
     * under a different policy or metering is a new version.
     *
     * @param classpath jars and class directories, in lookup order
     * @param newOptions the options for this and later reloads
     * @return true when a new version went live
     * @throws VersionException when the new version cannot be loaded (the current one stays)
     * @throws IllegalStateException once closed
     */
    public boolean reload(List<Path> classpath, LoadOptions newOptions) throws VersionException {
        return reload(classpath, newOptions, null, null);
    }

    /**
     * Prepares a freshly loaded version before it goes live: creates the route's handler from it,
     * say. Runs on the reloading thread, at most once per version.
     */
    @FunctionalInterface
    public interface Preparation {
        /**
         * @param version the new version, not yet current
         * @return what the version's leases carry ({@link Lease#prepared()}), or null
         * @throws VersionException when the version must not go live (a runtime exception counts too)
         */
        Object prepare(HandlerVersion version) throws VersionException;
    }

    /**
     * Like {@link #reload(List, LoadOptions)}, with a preparation that must succeed before the new
     * version goes live. A version is the same as the current one, and nothing is loaded, when its
     * content hash, policy, metering and variant all equal the current version's.
     *
     * @param classpath jars and class directories, in lookup order
     * @param newOptions the options for this and later reloads
     * @param variant what else the version depends on (the handler class its preparation
     *     creates, say), or null
     * @param preparation runs on the new version before it goes live, or null for none
     * @return true when a new version went live
     * @throws VersionException when the new version cannot be loaded or its preparation failed
     *     (the current one stays; a failed version is closed and watched like a retired one)
     * @throws IllegalStateException once closed
     */
    public synchronized boolean reload(List<Path> classpath, LoadOptions newOptions, String variant,
            Preparation preparation) throws VersionException {
        if (closed) {
            throw new IllegalStateException("route " + route + " is closed");
        }
        long start = System.nanoTime();
        ClasspathContent content = ClasspathContent.read(classpath, newOptions.maxClasspathBytes(), newOptions.cache());
        Live old = current;
        if (old != null && old.version.id().equals(content.id())
                && old.version.policy().fingerprint().equals(newOptions.policy().fingerprint())
                && old.version.options().metering() == newOptions.metering()
                && Objects.equals(old.variant, variant)) {
            options = newOptions;
            return false;
        }
        HandlerVersion v = HandlerVersion.create(content, newOptions, start);
        Object prepared = null;
        if (preparation != null) {
            try {
                prepared = preparation.prepare(v);
            } catch (VersionException | RuntimeException e) {
                watch.watch(route, v, listener);
                throw e;
            }
        }
        options = newOptions;
        current = new Live(v, variant, prepared);
        UnloadWatch.safely(() -> listener.onLoaded(route, v.info(), old == null ? null : old.version.info()));
        if (old != null) {
            draining.incrementAndGet();
            old.release();
        }
        return true;
    }

    /**
     * Takes a lease on the current version: it stays open until the lease is closed.
     *
     * @return the lease; close it when the invocation ends
     * @throws IllegalStateException when no version is loaded or the route is closed
     */
    public Lease acquire() {
        while (true) {
            Live l = current;
            if (l == null) {
                throw new IllegalStateException("route " + route + (closed ? " is closed" : " has no handler version"));
            }
            if (l.retain()) {
                return new Lease(l);
            }
            // l was replaced and drained between the read and the retain: read the new current
        }
    }

    /** @return the current version, or null before the first reload and after close */
    public HandlerVersion current() {
        Live l = current;
        return l == null ? null : l.version;
    }

    /** @return replaced versions still held by leases */
    public int draining() {
        return draining.get();
    }

    /** @return the route's name */
    public String route() {
        return route;
    }

    /**
     * Retires the current version (it drains like a replaced one, and is then unloaded) but keeps
     * the route open: {@link #acquire} fails until the next {@link #reload}, which loads afresh
     * whatever the content. For scale-to-zero.
     *
     * @return whether there was a version to retire
     */
    public synchronized boolean park() {
        Live l = current;
        if (closed || l == null) {
            return false;
        }
        current = null;
        draining.incrementAndGet();
        l.release();
        return true;
    }

    /**
     * Retires the current version (it drains like a replaced one); later calls to
     * {@link #acquire} and {@link #reload} fail. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Live l = current;
        current = null;
        if (l != null) {
            draining.incrementAndGet();
            l.release();
        }
    }

    private void retire(Live l) {
        draining.decrementAndGet();
        closePrepared(l);
        watch.watch(route, l.version, listener);
    }

    /**
     * Closes what the preparation made for a version (a child process, say), once: when the
     * version retires, or before, when only abandoned leases hold it.
     */
    private static void closePrepared(Live l) {
        if (l.prepared instanceof AutoCloseable && l.preparedClosed.compareAndSet(false, true)) {
            AutoCloseable c = (AutoCloseable) l.prepared;
            UnloadWatch.safely(() -> {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }

    /** A version, what its preparation made, and its holds: one for being current, one per open lease. */
    private final class Live {
        final HandlerVersion version;
        final String variant;
        final Object prepared;
        /**
         * Two counts in one word, so that they change together: the high half counts every hold
         * (being current, each open lease), the low half those not abandoned.
         */
        private final AtomicLong counts = new AtomicLong(ONE_REF | ONE_HOLD);
        private final AtomicBoolean preparedClosed = new AtomicBoolean();

        Live(HandlerVersion version, String variant, Object prepared) {
            this.version = version;
            this.variant = variant;
            this.prepared = prepared;
        }

        /** @return false when the version was retired or its preparation's product closed: take the current one again */
        boolean retain() {
            long n;
            do {
                n = counts.get();
                if ((n & HOLD_MASK) == 0 || (n >>> 32) == 0) {
                    return false;
                }
            } while (!counts.compareAndSet(n, n + (ONE_REF | ONE_HOLD)));
            return true;
        }

        /** A hold not abandoned ends: being current, or an open lease. */
        void release() {
            after(counts.addAndGet(-(ONE_REF | ONE_HOLD)), true);
        }

        /** A lease's thread was abandoned: it keeps the version open, no longer what its preparation made. */
        void abandon() {
            after(counts.addAndGet(-ONE_HOLD), false);
        }

        /** An abandoned lease is closed after all: its thread came back. */
        void releaseAbandoned() {
            after(counts.addAndGet(-ONE_REF), true);
        }

        /** @param n the counts after a change; {@code refDropped}: the change dropped a hold of any kind */
        private void after(long n, boolean refDropped) {
            if ((n & HOLD_MASK) == 0) {
                closePrepared(this);
            }
            if (refDropped && (n >>> 32) == 0) {
                retire(this); // once: no hold is taken again at zero (retain)
            }
        }
    }

    /**
     * A hold on one version for the length of an invocation. Not for sharing between
     * invocations; {@link #close()} is idempotent and thread-safe. Once closed a lease holds no
     * reference to the version.
     */
    public static final class Lease implements AutoCloseable {
        private static final int OPEN = 0;
        private static final int ABANDONED = 1;
        private static final int CLOSED = 2;
        /** The state through a field updater: a lease is made per request, on the dispatch path. */
        private static final AtomicIntegerFieldUpdater<Lease> STATE =
                AtomicIntegerFieldUpdater.newUpdater(Lease.class, "state");
        private final AtomicReference<Live> live;
        private volatile int state = OPEN;

        private Lease(Live l) {
            this.live = new AtomicReference<>(l);
        }

        /**
         * Says that the thread holding this lease was abandoned inside its run and may never
         * return to close it: the version stays open for that thread, but what the version's
         * preparation made no longer waits for it (a replaced version's child process is stopped
         * as soon as no other lease holds it). Later {@link #share} calls fail. Idempotent; the
         * lease is still to be closed, should the thread return.
         */
        public void abandon() {
            Live l = live.get();
            if (l != null && STATE.compareAndSet(this, OPEN, ABANDONED)) {
                l.abandon();
            }
        }

        /**
         * @return the leased version, open for as long as the lease is
         * @throws IllegalStateException once the lease is closed
         */
        public HandlerVersion version() {
            Live l = live.get();
            if (l == null) {
                throw new IllegalStateException("the lease is closed");
            }
            return l.version;
        }

        /**
         * @return what the version's {@link Preparation} returned, or null when it had none
         * @throws IllegalStateException once the lease is closed
         */
        public Object prepared() {
            Live l = live.get();
            if (l == null) {
                throw new IllegalStateException("the lease is closed");
            }
            return l.prepared;
        }

        /**
         * Takes another lease on the same version while this one is open, for work that outlives
         * the invocation (deferred work): the version then stays open until that lease is closed
         * too. Lock-free.
         *
         * @return the new lease; close it when that work ends
         * @throws IllegalStateException once this lease is closed
         */
        public Lease share() {
            Live l = live.get();
            if (l == null || state != OPEN || !l.retain()) {
                throw new IllegalStateException(l == null ? "the lease is closed" : "the lease's thread was abandoned");
            }
            return new Lease(l);
        }

        /** Releases the version; the last release of a replaced version closes it. */
        @Override
        public void close() {
            Live l = live.getAndSet(null);
            int was = STATE.getAndSet(this, CLOSED);
            if (l != null && was == OPEN) {
                l.release();
            } else if (l != null && was == ABANDONED) {
                l.releaseAbandoned();
            }
        }
    }
}
