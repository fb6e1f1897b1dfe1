package dev.ringfence.loader;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The handler versions of one route: the current version, hot reload, and the retirement of
 * replaced versions.
 *
 * <p>{@link #reload} builds the new version on the calling thread and, unless its content hash
 * and policy equal the current version's, makes it current in one atomic step. Invocations take a
 * {@link Lease} on the current version for their whole run; a replaced version is closed once its
 * last lease is closed, and handed to the {@link UnloadWatch}, which reports when its loader is
 * collected, or that it leaked.
 *
 * <p>Assumptions and guarantees: {@link #acquire} and {@link Lease#close} are lock-free and may be
 * called from any number of threads; {@link #reload} and {@link #close} are serialised with each
 * other. A lease always holds a version that is not closed, and every version is closed exactly
 * once, after its last lease. Close a lease when the metered run returns, even when its thread was
 * abandoned: the version then drains, and the abandoned thread, which still holds the loader, is
 * what the leak report names.
 */
public final class HandlerVersions implements AutoCloseable {
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
     * under a different policy is a new version.
     *
     * @param classpath jars and class directories, in lookup order
     * @param newOptions the options for this and later reloads
     * @return true when a new version went live
     * @throws VersionException when the new version cannot be loaded (the current one stays)
     * @throws IllegalStateException once closed
     */
    public synchronized boolean reload(List<Path> classpath, LoadOptions newOptions) throws VersionException {
        if (closed) {
            throw new IllegalStateException("route " + route + " is closed");
        }
        long start = System.nanoTime();
        ClasspathContent content = ClasspathContent.read(classpath, newOptions.maxClasspathBytes(), newOptions.cache());
        Live old = current;
        if (old != null && old.version.id().equals(content.id())
                && old.version.policy().fingerprint().equals(newOptions.policy().fingerprint())) {
            options = newOptions;
            return false;
        }
        HandlerVersion v = HandlerVersion.create(content, newOptions, start);
        options = newOptions;
        current = new Live(v);
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
        watch.watch(route, l.version, listener);
    }

    /** A version and its reference count: one for being current, one per open lease. */
    private final class Live {
        final HandlerVersion version;
        private final AtomicInteger refs = new AtomicInteger(1);

        Live(HandlerVersion version) {
            this.version = version;
        }

        boolean retain() {
            int n;
            do {
                n = refs.get();
                if (n == 0) {
                    return false;
                }
            } while (!refs.compareAndSet(n, n + 1));
            return true;
        }

        void release() {
            if (refs.decrementAndGet() == 0) {
                retire(this);
            }
        }
    }

    /**
     * A hold on one version for the length of an invocation. Not for sharing between
     * invocations; {@link #close()} is idempotent and thread-safe. Once closed a lease holds no
     * reference to the version.
     */
    public static final class Lease implements AutoCloseable {
        private final AtomicReference<Live> live;

        private Lease(Live l) {
            this.live = new AtomicReference<>(l);
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

        /** Releases the version; the last release of a replaced version closes it. */
        @Override
        public void close() {
            Live l = live.getAndSet(null);
            if (l != null) {
                l.release();
            }
        }
    }
}
