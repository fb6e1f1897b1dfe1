package dev.ringfence.boot;

/**
 * What a gate asks when it runs on a sandbox thread. Implemented by the agent; called only through
 * {@link Gate#check}, after the cheap test that the current thread is a sandbox thread.
 */
public interface GateHook {
    /**
     * Decides one gated call; returns to let it run, throws to deny it.
     *
     * @param site the gate site (which JDK method, which rule)
     * @param a the first value the site passes, or null
     * @param b the second value the site passes, or null
     * @param n an int the site passes (a port, say), or 0
     */
    void check(int site, Object a, Object b, int n);

    /**
     * Decides one gated call on the JVM's finalizer thread, which runs the finalizers of JDK
     * objects a handler may have left holding its own objects; returns to let it run, throws to
     * deny it. The default lets everything through.
     *
     * @param site the gate site
     * @param a the first value the site passes, or null
     * @param b the second value the site passes, or null
     * @param n an int the site passes, or 0
     */
    default void checkFinalizer(int site, Object a, Object b, int n) {
    }

    /**
     * Decides one reservation of memory outside the heap (a direct buffer, a native memory
     * segment, a file mapping, a compressor's native state) on a sandbox thread; returns to let
     * it happen, throws to refuse it. The default lets everything through.
     *
     * @param site the gate site
     * @param a the value the site passes, or null
     * @param bytes how many bytes are about to be reserved
     */
    default void reserve(int site, Object a, long bytes) {
    }
}
