package dev.ringfence.limiter;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Clears what an invocation may have left on a pooled worker thread: its thread locals (which
 * would otherwise leak the handler's class loader and carry state from one tenant's invocation to
 * the next), interrupt status, name, priority and uncaught-exception handler. Clearing thread
 * locals needs {@code java.lang} opened to ringfence (the agent does it); without that a worker is
 * used for one invocation only.
 *
 * <p>The two fields are reached through variable handles, not {@code java.lang.reflect.Field}: a
 * field's reflective accessor is a method handle the JDK spins into a class the first time it is
 * used (five of them in a JDK 25 process-tier child here, one on its first request's path; with
 * variable handles the child's thread that readies the hand-off was done about 5 ms sooner after
 * the version opened), where a variable handle's access is code the JDK ships.
 */
final class ThreadReset {
    private static final VarHandle THREAD_LOCALS = field("threadLocals");
    private static final VarHandle INHERITABLE = field("inheritableThreadLocals");

    private ThreadReset() {
    }

    private static VarHandle field(String name) {
        try {
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(Thread.class, MethodHandles.lookup());
            return lookup.unreflectVarHandle(Thread.class.getDeclaredField(name));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // java.lang not opened to ringfence: workers are not reused
        }
    }

    /**
     * Reads and writes both fields once on a thread that never runs (its own, unchanged), so that
     * what their first access links is linked before a worker needs it; loads {@link HostState}.
     * Nothing without {@link #supported()}.
     */
    static void prime() {
        HostState.class.getName(); // loads it
        if (!supported()) {
            return;
        }
        Thread probe = new Thread("ringfence-thread-reset-probe"); // never started
        set(THREAD_LOCALS, probe, get(THREAD_LOCALS, probe));
        set(INHERITABLE, probe, get(INHERITABLE, probe));
    }

    /** The one place each field is read: a call site of a variable handle links once. */
    private static Object get(VarHandle field, Thread t) {
        return field.get(t);
    }

    /** The one place each field is written. */
    private static void set(VarHandle field, Thread t, Object value) {
        field.set(t, value);
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

        private HostState(SandboxThread t) {
            locals = get(THREAD_LOCALS, t);
            inheritable = get(INHERITABLE, t);
            contextLoader = t.getContextClassLoader();
            name = t.getName();
            priority = t.getPriority();
            handler = t.getUncaughtExceptionHandler() == t.getThreadGroup() ? null : t.getUncaughtExceptionHandler();
            interrupted = Thread.interrupted();
            set(THREAD_LOCALS, t, null);
            set(INHERITABLE, t, null);
        }

        /** Puts back the host's state, dropping what the invocation left; called on {@code t}. */
        void restore(SandboxThread t) {
            set(THREAD_LOCALS, t, locals);
            set(INHERITABLE, t, inheritable);
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
        return new HostState(t);
    }

    static void reset(SandboxThread t, String name) {
        set(THREAD_LOCALS, t, null);
        set(INHERITABLE, t, null);
        Thread.interrupted();
        t.setContextClassLoader(null);
        t.setName(name);
        t.setPriority(Thread.NORM_PRIORITY);
        t.setUncaughtExceptionHandler(null);
    }
}
