package dev.ringfence.benchmarks;

import dev.ringfence.limiter.Instrumenter;
import dev.ringfence.limiter.Metering;
import dev.ringfence.limiter.Policy;
import dev.ringfence.limiter.SandboxedLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.util.function.LongSupplier;

/**
 * Defines the kernels of {@code bench.kernels} child-first, from the class files on the
 * benchmark's class path, either as they are or rewritten by ringfence's {@link Instrumenter}.
 * Everything else comes from the parent (the benchmark's own loader), so the probes the
 * instrumented kernels call are the real ones.
 *
 * <p>Both variants go through this loader, so that plain and instrumented kernels differ only in
 * their bytecode. Thread-safe.
 */
final class KernelLoader extends ClassLoader implements SandboxedLoader {
    /** The package whose classes this loader defines itself. */
    static final String KERNELS = "bench.kernels.";

    /** The instrumenter, or null for plain kernels. */
    private final Instrumenter instrumenter;

    static {
        registerAsParallelCapable();
    }

    private KernelLoader(Metering metering) {
        super(metering == null ? "plain-kernels" : metering.name().toLowerCase(java.util.Locale.ROOT) + "-kernels",
                KernelLoader.class.getClassLoader());
        this.instrumenter = metering == null ? null : new Instrumenter(metering);
    }

    /** @return a loader that defines the kernels unchanged */
    static KernelLoader plain() {
        return new KernelLoader(null);
    }

    /** @return a loader that defines the kernels instrumented with counting probes */
    static KernelLoader instrumented() {
        return new KernelLoader(Metering.COUNT);
    }

    /**
     * @param metering the flavour of probes
     * @return a loader that defines the kernels instrumented with that flavour
     */
    static KernelLoader instrumented(Metering metering) {
        return new KernelLoader(metering);
    }

    /**
     * @param mode {@code plain}, {@code counting} or {@code guarded}
     * @return the loader for the benchmark mode
     */
    static KernelLoader forMode(String mode) {
        switch (mode) {
            case "plain":
                return plain();
            case "counting":
                return instrumented(Metering.COUNT);
            case "guarded":
                return instrumented(Metering.GUARD);
            default:
                throw new IllegalArgumentException("mode is plain, counting or guarded, not " + mode);
        }
    }

    /** @return true when this loader instruments what it defines */
    boolean isInstrumented() {
        return instrumenter != null;
    }

    /** @return the flavour of probes of the kernels this loader instruments, COUNT for plain ones */
    @Override
    public Metering metering() {
        return instrumenter == null ? Metering.COUNT : instrumenter.metering();
    }

    /**
     * Defines a kernel class in this loader and creates an instance with its no-argument constructor.
     *
     * @param kernel the kernel class as the benchmark's own loader sees it; only its name is used
     * @return this loader's instance of it
     */
    LongSupplier create(Class<? extends LongSupplier> kernel) {
        try {
            Class<?> c = loadClass(kernel.getName());
            if (c.getClassLoader() != this) {
                throw new IllegalStateException(kernel.getName() + " is not a kernel of " + KERNELS);
            }
            return c.asSubclass(LongSupplier.class).getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException | NoSuchMethodException | InstantiationException | IllegalAccessException e) {
            throw new IllegalStateException("cannot create " + kernel.getName(), e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("constructor of " + kernel.getName() + " failed", e.getCause());
        }
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!name.startsWith(KERNELS)) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                byte[] b = classFile(name);
                if (instrumenter != null) {
                    b = instrumenter.instrument(b).bytes();
                }
                c = defineClass(name, b, 0, b.length);
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    private byte[] classFile(String name) throws ClassNotFoundException {
        String resource = name.replace('.', '/') + ".class";
        try (InputStream in = getParent().getResourceAsStream(resource)) {
            if (in == null) {
                throw new ClassNotFoundException(name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    @Override
    public Policy policy() {
        return Policy.DENY_ALL;
    }
}
