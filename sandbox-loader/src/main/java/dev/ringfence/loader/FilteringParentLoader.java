package dev.ringfence.loader;

import dev.ringfence.api.Handler;
import dev.ringfence.limiter.Probes;

/**
 * The parent of every version's class loader. It shows handler code the JDK (through the
 * platform class loader), the package {@code dev.ringfence.api} and the single class
 * {@link Probes} that instrumented code calls, both as the host loaded them, so a handler's
 * {@code Handler} is the host's {@code Handler}. Every other class (the host application's, the
 * rest of ringfence) is a {@link ClassNotFoundException}.
 *
 * <p>Stateless and shared by all versions; defines no classes. Thread-safe.
 */
final class FilteringParentLoader extends ClassLoader {
    static {
        registerAsParallelCapable();
    }

    /** The one instance. */
    static final FilteringParentLoader INSTANCE = new FilteringParentLoader();

    private static final String API = "dev.ringfence.api.";
    private static final String PROBES = Probes.class.getName();

    private final ClassLoader apiLoader = Handler.class.getClassLoader();

    private FilteringParentLoader() {
        super("ringfence-handler-parent", ClassLoader.getPlatformClassLoader());
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        Class<?> c;
        if (name.startsWith(API) && name.indexOf('.', API.length()) < 0) {
            c = Class.forName(name, false, apiLoader);
        } else if (name.equals(PROBES)) {
            c = Probes.class;
        } else if (name.startsWith(API) || dev.ringfence.limiter.SandboxPackages.internal(name)) {
            throw new ClassNotFoundException(name + " (ringfence internals are hidden from handler code)");
        } else {
            c = getParent().loadClass(name);
        }
        if (resolve) {
            resolveClass(c);
        }
        return c;
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        throw new ClassNotFoundException(name);
    }
}
