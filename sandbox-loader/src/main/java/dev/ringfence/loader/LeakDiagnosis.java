package dev.ringfence.loader;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.security.Provider;
import java.security.Security;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * Finds what likely keeps a retired version's class loader alive, among the usual suspects that
 * can be seen from outside: live threads (context class loader, a thread class or uncaught
 * exception handler of the version), thread-local values of live threads (needs {@code java.lang}
 * open), and JDK registries (JDBC drivers, {@code java.util.logging} handlers and filters, the
 * default uncaught exception handler, system properties, security providers). A static field of a
 * host class or a JDK cache cannot be seen this way; the report then says so.
 *
 * <p>Runs on the watch's thread and never calls a method of an object whose class comes from the
 * version (that would run handler code unmetered). Stateless.
 */
final class LeakDiagnosis {
    private static final int MAX_CAUSES = 6;
    private static final int MAX_ELEMENTS = 1000;

    private LeakDiagnosis() {
    }

    /**
     * Describes what keeps a loader alive.
     *
     * @param loader the leaked loader
     * @return one line: causes separated by {@code "; "}, or a sentence starting {@code "unknown"}
     */
    static String describe(ClassLoader loader) {
        return describe(loader, ThreadLocalScan.available());
    }

    static String describe(ClassLoader loader, boolean scanThreadLocals) {
        List<String> causes = new ArrayList<>();
        threads(loader, scanThreadLocals, causes);
        registries(loader, causes);
        StringBuilder sb = new StringBuilder();
        if (causes.isEmpty()) {
            sb.append("unknown: no live thread, thread-local value or JDK registry holds it (a static field of a "
                    + "host class, a cache, or a handler object the host kept?)");
        } else {
            sb.append(String.join("; ", causes.subList(0, Math.min(MAX_CAUSES, causes.size()))));
            if (causes.size() > MAX_CAUSES) {
                sb.append("; and ").append(causes.size() - MAX_CAUSES).append(" more");
            }
        }
        if (!scanThreadLocals) {
            sb.append("; ThreadLocal values: unknown (java.lang not open)");
        }
        return sb.toString();
    }

    private static void threads(ClassLoader loader, boolean scanThreadLocals, List<String> causes) {
        for (Thread t : liveThreads()) {
            String name = "thread '" + t.getName() + "'";
            if (fromLoader(t, loader)) {
                causes.add(name + " is a " + t.getClass().getName() + " of the version, still running");
                continue;
            }
            if (t.getContextClassLoader() == loader) {
                causes.add(name + " has the version's loader as its context class loader");
            }
            if (fromLoader(t.getUncaughtExceptionHandler(), loader)) {
                causes.add(name + " has an uncaught exception handler of the version");
            }
            if (scanThreadLocals) {
                ThreadLocalScan.forEach(t, (key, value) -> {
                    if (fromLoader(key, loader) || holds(value, loader)) {
                        causes.add("a ThreadLocal on " + name + " holds " + describe(value));
                    }
                });
            }
        }
    }

    private static Thread[] liveThreads() {
        ThreadGroup g = Thread.currentThread().getThreadGroup();
        while (g.getParent() != null) {
            g = g.getParent();
        }
        Thread[] ts = new Thread[g.activeCount() * 2 + 16];
        return Arrays.copyOf(ts, g.enumerate(ts, true));
    }

    private static void registries(ClassLoader loader, List<String> causes) {
        try {
            if (fromLoader(Thread.getDefaultUncaughtExceptionHandler(), loader)) {
                causes.add("the default uncaught exception handler is a class of the version");
            }
            for (Map.Entry<Object, Object> e : System.getProperties().entrySet()) {
                if (fromLoader(e.getKey(), loader) || fromLoader(e.getValue(), loader)) {
                    causes.add("system property '" + e.getKey() + "' holds " + describe(e.getValue()));
                }
            }
            for (Provider p : Security.getProviders()) {
                if (fromLoader(p, loader)) {
                    causes.add("security provider " + p.getClass().getName() + " is registered");
                }
            }
        } catch (RuntimeException e) {
            causes.add("(system registries unreadable: " + e + ")");
        }
        logging(loader, causes);
        drivers(loader, causes);
    }

    private static void logging(ClassLoader loader, List<String> causes) {
        try {
            LogManager lm = LogManager.getLogManager();
            for (String name : Collections.list(lm.getLoggerNames())) {
                Logger lg = lm.getLogger(name);
                if (lg == null) {
                    continue;
                }
                String logger = "java.util.logging logger '" + name + "'";
                if (fromLoader(lg, loader)) {
                    causes.add(logger + " is a " + lg.getClass().getName() + " of the version");
                    continue;
                }
                if (fromLoader(lg.getFilter(), loader)) {
                    causes.add(logger + " has a filter of the version");
                }
                for (java.util.logging.Handler h : lg.getHandlers()) {
                    if (fromLoader(h, loader) || fromLoader(h.getFilter(), loader) || fromLoader(h.getFormatter(), loader)) {
                        causes.add(logger + " has a log handler " + h.getClass().getName() + " of the version");
                    }
                }
            }
        } catch (RuntimeException | LinkageError e) {
            // java.logging absent, or a logger changed under us
        }
    }

    private static void drivers(ClassLoader loader, List<String> causes) {
        try (InputStream in = DriverListing.class.getResourceAsStream("DriverListing.class")) {
            if (in == null) {
                return;
            }
            Class<?> listing = new ProbeLoader(loader).define(in.readAllBytes());
            Method m = listing.getDeclaredMethod("drivers");
            m.setAccessible(true);
            for (Object d : (Object[]) m.invoke(null)) {
                if (fromLoader(d, loader)) {
                    causes.add("JDBC driver " + d.getClass().getName() + " is registered with java.sql.DriverManager");
                }
            }
        } catch (IOException | ReflectiveOperationException | RuntimeException | LinkageError e) {
            // java.sql absent, or the listing could not run: nothing to report
        }
    }

    /**
     * Whether an object is, or directly contains, something of the loader. Looks one level into
     * arrays and JDK collections and maps (never into a collection class of the version).
     */
    static boolean holds(Object o, ClassLoader loader) {
        if (fromLoader(o, loader)) {
            return true;
        }
        if (o == null || o.getClass().getClassLoader() != null) {
            return false;
        }
        try {
            Iterable<?> items = null;
            if (o instanceof Object[]) {
                items = Arrays.asList((Object[]) o);
            } else if (o instanceof Collection) {
                items = (Collection<?>) o;
            } else if (o instanceof Map) {
                Map<?, ?> m = (Map<?, ?>) o;
                return anyFrom(m.keySet(), loader) || anyFrom(m.values(), loader);
            }
            return items != null && anyFrom(items, loader);
        } catch (RuntimeException e) {
            return false; // changed under us
        }
    }

    private static boolean anyFrom(Iterable<?> items, ClassLoader loader) {
        int n = 0;
        for (Object x : items) {
            if (fromLoader(x, loader)) {
                return true;
            }
            if (++n >= MAX_ELEMENTS) {
                break;
            }
        }
        return false;
    }

    /**
     * Whether an object is the loader, a class of it, or an instance (or array) of such a class.
     */
    static boolean fromLoader(Object o, ClassLoader loader) {
        if (o == null) {
            return false;
        }
        if (o == loader) {
            return true;
        }
        Class<?> c = o instanceof Class ? (Class<?>) o : o.getClass();
        while (c.isArray()) {
            c = c.getComponentType();
        }
        return c.getClassLoader() == loader;
    }

    private static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Class) {
            return "class " + ((Class<?>) value).getName();
        }
        return "a " + value.getClass().getName();
    }

    /** A throwaway loader that defines one class over a given parent. */
    private static final class ProbeLoader extends ClassLoader {
        ProbeLoader(ClassLoader parent) {
            super(parent);
        }

        Class<?> define(byte[] bytes) {
            return defineClass(null, bytes, 0, bytes.length);
        }
    }
}
