package dev.ringfence.boot;

/**
 * The static method that every gate inserted into a JDK method calls first.
 *
 * <p>On any thread that is not a sandbox thread (every host thread) a gate costs a static call,
 * a load of the current thread's class, one comparison and a return: nothing allocates, nothing
 * is locked. Only on a sandbox thread is the {@link GateHook} consulted.
 *
 * <p>Assumptions and guarantees: {@link #install} is called once, by the agent, before any JDK
 * method is gated; later calls fail, so nothing can replace or remove the hook once it is in place.
 * Until then every gate lets its call through. The fields are private: handler code can neither
 * read nor write them (reflection on this class is itself gated).
 */
public final class Gate {
    private static volatile Class<?> sandboxThread;
    private static volatile GateHook hook;
    /** The class of the JVM's one finalizer thread, or null. */
    private static volatile Class<?> finalizerThread;

    private Gate() {
    }

    /**
     * Puts the gates in force.
     *
     * @param sandboxThreadClass the exact (final) class of the threads that run handler code
     * @param gateHook decides gated calls on those threads
     * @throws IllegalStateException if the gates were installed before
     */
    public static synchronized void install(Class<?> sandboxThreadClass, GateHook gateHook) {
        if (hook != null) {
            throw new IllegalStateException("ringfence: the gates are already installed");
        }
        if (sandboxThreadClass == null || gateHook == null) {
            throw new IllegalArgumentException("ringfence: a gate needs a thread class and a hook");
        }
        hook = gateHook;
        try {
            finalizerThread = Class.forName("java.lang.ref.Finalizer$FinalizerThread", false, null);
        } catch (ClassNotFoundException | LinkageError e) {
            finalizerThread = null; // a JDK without finalization
        }
        sandboxThread = sandboxThreadClass;
    }

    /** @return true once {@link #install} has run */
    public static boolean installed() {
        return hook != null;
    }

    /**
     * The gate: returns at once on host threads, else asks the hook, which may throw to deny.
     *
     * @param site the gate site
     * @param a the first value the site passes, or null
     * @param b the second value the site passes, or null
     * @param n an int the site passes, or 0
     */
    public static void check(int site, Object a, Object b, int n) {
        Class<?> k = Thread.currentThread().getClass();
        if (k != sandboxThread) {
            if (k == finalizerThread && k != null) {
                hook.checkFinalizer(site, a, b, n);
            }
            return;
        }
        hook.check(site, a, b, n);
    }

    /**
     * The gate of a reservation of memory outside the heap: returns at once on host threads (and
     * on the finalizer thread, which frees rather than reserves), else asks the hook, which may
     * throw to refuse it before anything is reserved.
     *
     * @param site the gate site
     * @param a the value the site passes, or null
     * @param bytes how many bytes are about to be reserved
     */
    public static void reserve(int site, Object a, long bytes) {
        if (Thread.currentThread().getClass() != sandboxThread) {
            return;
        }
        hook.reserve(site, a, bytes);
    }
}
