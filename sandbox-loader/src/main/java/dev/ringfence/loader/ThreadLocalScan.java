package dev.ringfence.loader;

import java.lang.ref.Reference;
import java.lang.reflect.Field;
import java.util.function.BiConsumer;

/**
 * Reads the thread-local maps of live threads, for leak diagnosis. It needs {@code java.lang}
 * opened to ringfence ({@code --add-opens java.base/java.lang=ALL-UNNAMED}, which the agent
 * arranges); without that {@link #available()} is false.
 *
 * <p>Reads another thread's map without synchronisation: entries may change under it, and a
 * report built from it is a best effort.
 */
final class ThreadLocalScan {
    private static final Field THREAD_LOCALS;
    private static final Field INHERITABLE;
    private static final Field TABLE;
    private static final Field VALUE;

    static {
        Field[] f = new Field[4];
        try {
            f[0] = open(Thread.class, "threadLocals");
            f[1] = open(Thread.class, "inheritableThreadLocals");
            f[2] = open(Class.forName("java.lang.ThreadLocal$ThreadLocalMap"), "table");
            f[3] = open(Class.forName("java.lang.ThreadLocal$ThreadLocalMap$Entry"), "value");
        } catch (ReflectiveOperationException | RuntimeException e) {
            f = new Field[4]; // java.lang is not open, or its internals changed
        }
        THREAD_LOCALS = f[0];
        INHERITABLE = f[1];
        TABLE = f[2];
        VALUE = f[3];
    }

    private ThreadLocalScan() {
    }

    private static Field open(Class<?> c, String name) throws NoSuchFieldException {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }

    /** @return true when thread-local maps can be read */
    static boolean available() {
        return VALUE != null;
    }

    /**
     * Calls {@code action} with the {@code ThreadLocal} (null once collected) and value of every
     * entry of a thread's maps, inheritable ones included. Does nothing when not available.
     *
     * @param t the thread
     * @param action what to do with each entry
     */
    static void forEach(Thread t, BiConsumer<Object, Object> action) {
        if (!available()) {
            return;
        }
        try {
            scan(THREAD_LOCALS.get(t), action);
            scan(INHERITABLE.get(t), action);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void scan(Object map, BiConsumer<Object, Object> action) throws IllegalAccessException {
        if (map == null) {
            return;
        }
        Object[] table = (Object[]) TABLE.get(map);
        if (table == null) {
            return;
        }
        for (Object entry : table) {
            if (entry != null) {
                action.accept(((Reference<?>) entry).get(), VALUE.get(entry));
            }
        }
    }
}
