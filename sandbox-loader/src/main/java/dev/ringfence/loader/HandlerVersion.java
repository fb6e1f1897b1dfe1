package dev.ringfence.loader;

import dev.ringfence.api.Handler;
import dev.ringfence.limiter.Policy;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.List;

/**
 * One version of a handler: the content hash of its classpath and the throwaway
 * {@link VersionClassLoader} that defines its classes, instrumented.
 *
 * <p>{@link #load} reads every class and resource into memory on the calling thread (the host's),
 * so that loading classes later, on a handler's thread, never touches the file system. Two loads
 * of the same content give the same {@link #id()}. With a cache that has seen the same jar files
 * before, the id comes from the cache's record of them and class files stay compressed in memory
 * until something needs their bytes (see {@link InstrumentedClassCache}).
 *
 * <p>Assumptions and guarantees: thread-safe. {@link #newHandler} runs the handler's constructor
 * (and static initialiser) on the calling thread: call it inside a metered run. After
 * {@link #close()}, classes already defined keep working, but no new class can be loaded, so
 * close a version only once no invocation uses it ({@link HandlerVersions} does that with
 * leases).
 */
public final class HandlerVersion implements AutoCloseable {
    private final VersionInfo info;
    private final List<String> reservedClasses;
    private final LoadOptions options;
    private final VersionClassLoader loader;

    private HandlerVersion(VersionInfo info, List<String> reservedClasses, LoadOptions options,
            VersionClassLoader loader) {
        this.info = info;
        this.reservedClasses = reservedClasses;
        this.options = options;
        this.loader = loader;
    }

    /**
     * Loads a version.
     *
     * @param classpath jars and class directories, in lookup order
     * @param options the policy, cache, instrumentation mode and size bound
     * @return the version
     * @throws VersionException when a path is missing, unreadable, a corrupt jar, the whole is
     *     too large, or (in {@link InstrumentMode#AT_LOAD}) a class cannot be instrumented
     */
    public static HandlerVersion load(List<Path> classpath, LoadOptions options) throws VersionException {
        long start = System.nanoTime();
        return create(ClasspathContent.read(classpath, options.maxClasspathBytes(), options.cache()), options, start);
    }

    static HandlerVersion create(ClasspathContent content, LoadOptions options, long startNanos) throws VersionException {
        String shortId = content.id().substring(0, 12);
        VersionClassLoader loader = new VersionClassLoader(content, shortId, options);
        if (options.mode() == InstrumentMode.AT_LOAD) {
            try {
                loader.prepareAll();
            } catch (VersionException | RuntimeException e) {
                loader.close();
                throw e;
            }
        }
        VersionInfo info = new VersionInfo(content.id(), shortId, content.classpath(), content.classNames().size(),
                System.nanoTime() - startNanos);
        return new HandlerVersion(info, content.reservedClasses(), options, loader);
    }

    /**
     * Loads a class of the version without initialising it.
     *
     * @param name the binary name
     * @return the class (a JDK or API class when the name is one)
     * @throws VersionException when it is not found, cannot be linked or the version is closed
     */
    public Class<?> loadClass(String name) throws VersionException {
        try {
            return Class.forName(name, false, loader);
        } catch (ClassNotFoundException e) {
            if (loader.isClosed()) {
                throw new VersionException(VersionException.Reason.CLOSED,
                        "handler version " + info.shortId() + " is closed: cannot load " + name, e);
            }
            throw new VersionException(VersionException.Reason.CLASS_NOT_FOUND,
                    "class not found in handler version " + info.shortId() + ": " + name, e);
        } catch (ClassFormatError e) {
            throw new VersionException(VersionException.Reason.INSTRUMENTATION_FAILED, ClasspathContent.oneLine(e), e);
        } catch (LinkageError e) {
            throw new VersionException(VersionException.Reason.CLASS_NOT_FOUND,
                    "cannot load " + name + " from handler version " + info.shortId() + ": " + e, e);
        }
    }

    /**
     * Creates a handler: loads the class and calls its public no-argument constructor. The
     * constructor and static initialiser are handler code: call this inside a metered run.
     *
     * @param className the handler class's binary name
     * @return a new handler
     * @throws VersionException when the class is not found, does not implement {@link Handler},
     *     is abstract, has no public no-argument constructor, or the constructor throws an
     *     exception (an {@link Error} it throws, a budget abort included, propagates unchanged)
     */
    public Handler newHandler(String className) throws VersionException {
        Class<?> c = loadClass(className);
        if (!Handler.class.isAssignableFrom(c)) {
            throw new VersionException(VersionException.Reason.NOT_A_HANDLER,
                    className + " does not implement " + Handler.class.getName());
        }
        if (c.isInterface() || Modifier.isAbstract(c.getModifiers())) {
            throw new VersionException(VersionException.Reason.NOT_A_HANDLER, className + " is abstract");
        }
        Constructor<?> ctor;
        try {
            ctor = c.getConstructor();
        } catch (NoSuchMethodException e) {
            throw new VersionException(VersionException.Reason.NO_PUBLIC_CONSTRUCTOR,
                    className + " has no public no-argument constructor", e);
        }
        try {
            return (Handler) ctor.newInstance();
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            if (t instanceof Error) {
                throw (Error) t;
            }
            throw new VersionException(VersionException.Reason.CONSTRUCTOR_FAILED,
                    "the constructor of " + className + " threw " + t.getClass().getName(), t);
        } catch (IllegalAccessException e) {
            throw new VersionException(VersionException.Reason.NO_PUBLIC_CONSTRUCTOR,
                    className + " is not public", e);
        } catch (InstantiationException e) {
            throw new VersionException(VersionException.Reason.NOT_A_HANDLER, className + " is abstract", e);
        }
    }

    /**
     * Closes the version: forgets its bytes; classes already defined keep working, no new class
     * loads. Idempotent. Does not wait for the loader to be collected ({@link UnloadWatch} does).
     */
    @Override
    public void close() {
        loader.close();
    }

    /** @return true once closed */
    public boolean isClosed() {
        return loader.isClosed();
    }

    /** @return the content hash of the classpath, 64 hex digits */
    public String id() {
        return info.id();
    }

    /** @return the first 12 hex digits of the id */
    public String shortId() {
        return info.shortId();
    }

    /** @return the classpath, absolute and normalised */
    public List<Path> classpath() {
        return info.classpath();
    }

    /** @return how many classes the version may define (classes in reserved packages excluded) */
    public int classCount() {
        return info.classCount();
    }

    /** @return classes of the classpath in reserved packages (the JDK's, the API's, ringfence's), never defined */
    public List<String> reservedClasses() {
        return reservedClasses;
    }

    /** @return how long loading took, in nanoseconds */
    public long loadNanos() {
        return info.loadNanos();
    }

    /** @return classes whose instrumented form came from the cache */
    public long cacheHits() {
        return loader.cacheHits();
    }

    /** @return classes whose instrumented form came from the version's bundle (also counted in {@link #cacheHits()}) */
    public long bundleHits() {
        return loader.bundleHits();
    }

    /** @return classes the cache did not have */
    public long cacheMisses() {
        return loader.cacheMisses();
    }

    /** @return classes this version instrumented itself */
    public long instrumentedClasses() {
        return loader.instrumentedClasses();
    }

    /** @return classes defined so far */
    public long definedClasses() {
        return loader.definedClasses();
    }

    /** @return the policy the version was loaded under */
    public Policy policy() {
        return options.policy();
    }

    /** @return the options the version was loaded with */
    public LoadOptions options() {
        return options;
    }

    /** @return the version's class loader: the context class loader of its invocations */
    public VersionClassLoader classLoader() {
        return loader;
    }

    /** @return the version's description, which holds no reference to its loader */
    public VersionInfo info() {
        return info;
    }

    @Override
    public String toString() {
        return "HandlerVersion[" + info.shortId() + ", " + info.classCount() + " classes]";
    }
}
