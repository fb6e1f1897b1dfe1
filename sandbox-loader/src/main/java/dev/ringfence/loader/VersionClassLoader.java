package dev.ringfence.loader;

import dev.ringfence.limiter.InstrumentationException;
import dev.ringfence.limiter.Guard;
import dev.ringfence.limiter.Instrumenter;
import dev.ringfence.limiter.Metering;
import dev.ringfence.limiter.Meter;
import dev.ringfence.limiter.Policy;
import dev.ringfence.limiter.SandboxThread;
import dev.ringfence.limiter.SandboxedLoader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The class loader of one handler version. It defines classes from the version's bytes in memory,
 * instrumented by {@link Instrumenter} (through the {@link InstrumentedClassCache} when there is
 * one), and serves resources from memory too, so loading never reads a handler's files once the
 * version is built.
 *
 * <p>Class policy at link time: lookups go parent-first to {@link FilteringParentLoader}, which
 * shows only the JDK, {@code dev.ringfence.api} and {@code dev.ringfence.limiter.Probes}; classes
 * of the version in {@code java.*}, the API or ringfence's internal packages
 * ({@link dev.ringfence.limiter.SandboxPackages#reserved}) are never defined, so a handler jar
 * cannot shadow the JDK or ringfence (other names, {@code dev.ringfence.samples} included, are the
 * handler's to use). Resources are parent-first too.
 *
 * <p>Assumptions and guarantees: parallel capable; classes of different names load concurrently
 * and each name is defined once, under {@link #getClassLoadingLock}. When a class or resource is
 * looked up on a thread running a sandboxed invocation, the loader's own work (delegation, cache
 * reads and writes, instrumentation, definition) runs with the invocation's meter
 * {@linkplain Meter#setPrivileged privileged}, so the capability gates do not deny the sandbox its
 * own reads; no handler code runs in that window (static initialisers run after loading returns).
 * After {@link HandlerVersion#close()} classes already defined stay usable, new ones are not
 * found, and resource URLs fail to open.
 *
 * <p>With a cache, the loader reads the version's bundle ({@link InstrumentedClassCache#lookupBundle})
 * once, when it is made, and consults it before the per-class cache. It keeps the instrumented bytes
 * of every class it has obtained (from the bundle, the cache or the instrumenter) until it is
 * closed, and writes the bundle back when it holds classes the bundle lacks: at the end of an
 * {@link InstrumentMode#AT_LOAD} load, every {@value #BUNDLE_REWRITE_EVERY} new classes, and at
 * close. An {@link InstrumentMode#AT_LOAD} load whose bundle holds every class has nothing left to
 * prepare: it defines no class up front, and each class is defined from the bundle when it is
 * first loaded.
 */
public final class VersionClassLoader extends ClassLoader implements SandboxedLoader {
    static {
        registerAsParallelCapable();
    }

    private static final Instrumenter COUNTING = new Instrumenter(Metering.COUNT);
    private static final Instrumenter GUARDED = new Instrumenter(Metering.GUARD);
    /** New classes after which the bundle is rewritten before the version closes. */
    static final int BUNDLE_REWRITE_EVERY = 64;

    private final Policy policy;
    private final Instrumenter instrumenter;
    /** What the version's guarded probes are linked to: armed when one of its invocations trips. */
    private final Guard guard = new Guard();
    private final InstrumentedClassCache cache;
    private final MemoryResources resources;
    private final ProtectionDomain domain;
    private final Map<String, byte[]> prepared = new ConcurrentHashMap<>();
    private final AtomicLong cacheHits = new AtomicLong();
    private final AtomicLong cacheMisses = new AtomicLong();
    private final AtomicLong instrumented = new AtomicLong();
    private final AtomicLong defined = new AtomicLong();
    private final AtomicLong bundleHits = new AtomicLong();
    private final String bundleKey;
    /** Instrumented bytes by class name: the bundle read at start plus every class obtained since. */
    private final Map<String, byte[]> bundle = new ConcurrentHashMap<>();
    /** Classes in {@link #bundle} that the bundle on disk lacks. */
    private final AtomicLong unsaved = new AtomicLong();
    private final Object bundleWrite = new Object();
    private volatile ClasspathContent content;

    VersionClassLoader(ClasspathContent content, String shortId, LoadOptions options) {
        super("ringfence-" + shortId, FilteringParentLoader.INSTANCE);
        this.content = content;
        this.policy = options.policy();
        this.instrumenter = options.metering() == Metering.GUARD ? GUARDED : COUNTING;
        this.cache = options.cache();
        this.resources = new MemoryResources(shortId, content);
        this.domain = new ProtectionDomain(new CodeSource(resources.base(), (Certificate[]) null), null);
        this.bundleKey = cache == null ? null : InstrumentedClassCache.bundleKey(content.id(), policy, options.metering());
        if (cache != null) {
            Map<String, byte[]> found = cache.lookupBundle(bundleKey);
            if (found != null) {
                bundle.putAll(found);
            }
        }
    }

    /** @return the policy of the version: the gates apply it to the version's classes */
    @Override
    public Policy policy() {
        return policy;
    }

    /** @return the guard the version's guarded probes are linked to */
    @Override
    public Guard guard() {
        return guard;
    }

    /** @return the flavour of the version's probes */
    @Override
    public Metering metering() {
        return instrumenter.metering();
    }

    /**
     * Obtains the instrumented form of every class of the version now, on the calling thread
     * (instrumenting the classes no cache holds), and keeps it until the class is defined. Classes
     * the version's bundle already holds need nothing more: they are defined from the bundle, in
     * memory, when first loaded.
     *
     * @throws VersionException when a class cannot be instrumented, or read
     */
    void prepareAll() throws VersionException {
        ClasspathContent c = content;
        preparing = true;
        try {
            long fromBundle = 0;
            for (String name : c.classNames()) {
                if (bundle.containsKey(name)) {
                    fromBundle++; // nothing to front-load: defined from the bundle when first loaded
                    continue;
                }
                try {
                    byte[] bytes = instrumentedBytes(name, c);
                    if (cache == null) {
                        prepared.put(name, bytes); // with a cache, instrumentedBytes kept them in the bundle
                    }
                } catch (UnreadableClassException e) {
                    forgetBundle();
                    throw new VersionException(VersionException.Reason.UNREADABLE, e.getMessage(), e);
                } catch (InstrumentationException e) {
                    forgetBundle(); // a version that fails to load leaves no bundle behind
                    throw new VersionException(VersionException.Reason.INSTRUMENTATION_FAILED,
                            "cannot instrument " + name + ": " + ClasspathContent.oneLine(e), e);
                }
            }
            bundleHits.addAndGet(fromBundle);
            cacheHits.addAndGet(fromBundle);
        } catch (RuntimeException e) {
            forgetBundle();
            throw e;
        } finally {
            preparing = false;
        }
        eager = true;
        saveBundle();
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        Meter m = SandboxThread.currentMeter();
        if (m == null) {
            return super.loadClass(name, resolve);
        }
        boolean was = m.setPrivileged(true);
        try {
            return super.loadClass(name, resolve);
        } finally {
            m.setPrivileged(was);
        }
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        if (ClasspathContent.isReserved(name)) {
            throw new ClassNotFoundException(name + " (handler code may not define classes in this package)");
        }
        ClasspathContent c = content;
        if (c == null) {
            throw new ClassNotFoundException(name + " (the handler version was closed)");
        }
        if (!c.has(entryName(name))) {
            throw new ClassNotFoundException(name);
        }
        byte[] bytes = prepared.remove(name);
        if (bytes == null && eager) {
            bytes = bundle.get(name); // prepared at load, already counted
        }
        if (bytes == null) {
            try {
                bytes = instrumentedBytes(name, c);
            } catch (UnreadableClassException e) {
                throw new ClassFormatError("ringfence: " + e.getMessage());
            } catch (InstrumentationException e) {
                throw new ClassFormatError("ringfence: cannot instrument " + name + ": " + ClasspathContent.oneLine(e));
            }
        }
        Class<?> k = defineClass(name, bytes, 0, bytes.length, domain);
        defined.incrementAndGet();
        return k;
    }

    /**
     * The instrumented form of a class: from the bundle, else the per-class cache, else the
     * instrumenter. The original bytes are read (inflated, when the jar was kept compressed) only
     * when the bundle lacks the class.
     */
    private byte[] instrumentedBytes(String name, ClasspathContent c) {
        if (cache == null) {
            byte[] out = instrumenter.instrument(original(name, c)).bytes();
            instrumented.incrementAndGet();
            return out;
        }
        byte[] fromBundle = bundle.get(name);
        if (fromBundle != null) {
            bundleHits.incrementAndGet();
            cacheHits.incrementAndGet();
            return fromBundle;
        }
        byte[] original = original(name, c);
        String key = InstrumentedClassCache.key(original, policy, instrumenter.metering());
        byte[] out = cache.lookup(key);
        if (out != null) {
            cacheHits.incrementAndGet();
        } else {
            cacheMisses.incrementAndGet();
            out = instrumenter.instrument(original).bytes();
            instrumented.incrementAndGet();
            cache.store(key, out);
        }
        if (content != null && bundle.putIfAbsent(name, out) == null
                && unsaved.incrementAndGet() >= BUNDLE_REWRITE_EVERY && !preparing) {
            saveBundle();
        }
        return out;
    }

    private static byte[] original(String name, ClasspathContent c) {
        byte[] b = c.first(entryName(name));
        if (b == null) {
            throw new UnreadableClassException("cannot read " + name + ": its class file does not inflate");
        }
        return b;
    }

    /** A class file of the version that cannot be read from memory. */
    private static final class UnreadableClassException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnreadableClassException(String message) {
            super(message, null, false, false);
        }
    }

    private volatile boolean preparing;
    /** Set once {@link #prepareAll} has obtained every class: those in {@link #bundle} need no counting when defined. */
    private volatile boolean eager;

    /**
     * Writes the bundle when it holds classes the one on disk lacks. Failures are the cache's to
     * count; this never throws.
     */
    void saveBundle() {
        if (cache == null || unsaved.get() == 0) {
            return;
        }
        synchronized (bundleWrite) {
            long n = unsaved.get();
            if (n == 0) {
                return;
            }
            Map<String, byte[]> snapshot = Map.copyOf(bundle);
            if (snapshot.isEmpty()) {
                return; // closed meanwhile
            }
            Meter m = SandboxThread.currentMeter();
            boolean was = m != null && m.setPrivileged(true);
            try {
                cache.storeBundle(bundleKey, snapshot);
            } finally {
                if (m != null) {
                    m.setPrivileged(was);
                }
            }
            unsaved.updateAndGet(u -> Math.max(0, u - n));
        }
    }

    private static String entryName(String className) {
        return className.replace('.', '/') + ".class";
    }

    /**
     * Finds a resource: the JDK's first, then the version's, served from memory.
     *
     * @param name the resource name
     * @return its URL, or null
     */
    @Override
    public URL getResource(String name) {
        Meter m = SandboxThread.currentMeter();
        boolean was = m != null && m.setPrivileged(true);
        try {
            return super.getResource(name);
        } finally {
            if (m != null) {
                m.setPrivileged(was);
            }
        }
    }

    /**
     * Finds every copy of a resource: the JDK's first, then one per classpath element that has it.
     *
     * @param name the resource name
     * @return their URLs
     * @throws IOException when the JDK's lookup fails
     */
    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        Meter m = SandboxThread.currentMeter();
        boolean was = m != null && m.setPrivileged(true);
        try {
            // read the parent's lazy enumeration now, inside the privileged window
            return Collections.enumeration(Collections.list(super.getResources(name)));
        } finally {
            if (m != null) {
                m.setPrivileged(was);
            }
        }
    }

    /**
     * Opens a resource: the JDK's first, then the version's bytes in memory, without a URL.
     *
     * @param name the resource name
     * @return a stream over its bytes, or null
     */
    @Override
    public InputStream getResourceAsStream(String name) {
        Meter m = SandboxThread.currentMeter();
        boolean was = m != null && m.setPrivileged(true);
        try {
            InputStream in = getParent().getResourceAsStream(name);
            if (in != null) {
                return in;
            }
            ClasspathContent c = content;
            byte[] b = c == null ? null : c.first(name);
            return b == null ? null : new ByteArrayInputStream(b);
        } finally {
            if (m != null) {
                m.setPrivileged(was);
            }
        }
    }

    @Override
    protected URL findResource(String name) {
        ClasspathContent c = content;
        return c == null || !c.has(name) ? null : resources.url(name, 0);
    }

    @Override
    protected Enumeration<URL> findResources(String name) {
        ClasspathContent c = content;
        if (c == null) {
            return Collections.emptyEnumeration();
        }
        int n = c.count(name);
        List<URL> urls = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            urls.add(resources.url(name, i));
        }
        return Collections.enumeration(urls);
    }

    /** Forgets the version's bytes: no class is defined after this. Idempotent. */
    void close() {
        if (content != null) {
            saveBundle();
        }
        content = null;
        prepared.clear();
        forgetBundle();
        resources.close();
    }

    private void forgetBundle() {
        synchronized (bundleWrite) {
            bundle.clear();
            unsaved.set(0);
        }
    }

    boolean isClosed() {
        return content == null;
    }

    long cacheHits() {
        return cacheHits.get();
    }

    long cacheMisses() {
        return cacheMisses.get();
    }

    long bundleHits() {
        return bundleHits.get();
    }

    long instrumentedClasses() {
        return instrumented.get();
    }

    long definedClasses() {
        return defined.get();
    }

    @Override
    public String toString() {
        return "VersionClassLoader[" + getName() + "]";
    }
}
