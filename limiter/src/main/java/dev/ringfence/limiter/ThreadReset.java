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

    /**
     * Reads and writes both fields once on a thread that never runs (its own, unchanged), so that
     * their reflective accessors are built before a worker needs them; loads {@link HostState}.
     * Nothing without {@link #supported()}.
     */
    static void prime() {
        HostState.class.getName(); // loads it
        if (!supported()) {
            return;
        }
        Thread probe = new Thread("ringfence-thread-reset-probe"); // never started
        try {
            THREAD_LOCALS.set(probe, THREAD_LOCALS.get(probe));
            INHERITABLE.set(probe, INHERITABLE.get(probe));
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return true when workers can be reused */
    static boolean supported() {
        return THREAD_LOCALS != null && INHERITABLE != null;
    }

    /**
     * What a host thread carries into an invocation run on it: stashed before, put back after,
     * so the handler sees none of the host's thread locals and leaves none of its own behind.
     */
    static final class HostState {
        private final Object locals;
        private final Object inheritable;
        private final ClassLoader contextLoader;
        private final String name;
        private final int priority;
        private final Thread.UncaughtExceptionHandler handler;
        private final boolean interrupted;

        private HostState(SandboxThread t) throws IllegalAccessException {
            locals = THREAD_LOCALS.get(t);
            inheritable = INHERITABLE.get(t);
            contextLoader = t.getContextClassLoader();
            name = t.getName();
            priority = t.getPriority();
            handler = t.getUncaughtExceptionHandler() == t.getThreadGroup() ? null : t.getUncaughtExceptionHandler();
            interrupted = Thread.interrupted();
            THREAD_LOCALS.set(t, null);
            INHERITABLE.set(t, null);
        }

        /** Puts back the host's state, dropping what the invocation left; called on {@code t}. */
        void restore(SandboxThread t) {
            try {
                THREAD_LOCALS.set(t, locals);
                INHERITABLE.set(t, inheritable);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
            t.setContextClassLoader(contextLoader);
            if (!t.getName().equals(name)) {
                t.setName(name);
            }
            if (t.getPriority() != priority) {
                t.setPriority(priority);
            }
            t.setUncaughtExceptionHandler(handler);
            Thread.interrupted();
            if (interrupted) {
                t.interrupt();
            }
        }
    }

    /**
     * Stashes the current (host) thread's state and leaves it bare for an invocation.
     *
     * @param t the current thread
     * @return what to restore afterwards
     */
    static HostState stash(SandboxThread t) {
        try {
            return new HostState(t);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
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
