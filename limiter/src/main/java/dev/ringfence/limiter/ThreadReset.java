package dev.ringfence.limiter;

import java.lang.reflect.Field;

/**
 * Clears what an invocation may have left on a pooled worker thread: its thread locals (which
 * would otherwise leak the handler's class loader and carry state from one tenant's invocation to
 * the next), interrupt status, name, priority and uncaught-exception handler. Clearing thread
 * locals needs {@code java.lang} opened to ringfence (the agent does it); without that a worker is
 * used for one invocation only.
 */
final class ThreadReset {
    private static final Field THREAD_LOCALS = field("threadLocals");
    private static final Field INHERITABLE = field("inheritableThreadLocals");

    private ThreadReset() {
    }

    private static Field field(String name) {
        try {
            Field f = Thread.class.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** @return true when workers can be reused */
    static boolean supported() {
        return THREAD_LOCALS != null && INHERITABLE != null;
    }

    static void reset(SandboxThread t, String name) {
        try {
            THREAD_LOCALS.set(t, null);
            INHERITABLE.set(t, null);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        Thread.interrupted();
        t.setContextClassLoader(null);
        t.setName(name);
        t.setPriority(Thread.NORM_PRIORITY);
        t.setUncaughtExceptionHandler(null);
    }
}
