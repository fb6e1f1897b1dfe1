package dev.ringfence.limiter;

/**
 * The only kind of thread that runs handler code in-process. The probes find the running
 * invocation's {@link Meter} through {@link #meter}, which costs a type check and a field load:
 * much cheaper than a {@code ThreadLocal}.
 *
 * <p>Assumptions and guarantees: {@link #meter} is written only by this thread (at the start and
 * end of an invocation) and read by this thread and the watchdog; the watchdog only reads it
 * through the meter it registered, never through this field.
 */
public final class SandboxThread extends Thread {
    /** The meter of the invocation running on this thread, or null between invocations. */
    Meter meter;
    /**
     * The executor whose {@link MeteredExecutor#runHere} may run handler code on this thread
     * between its own host work (an HTTP front's thread, say), or null for a pooled worker.
     */
    final MeteredExecutor host;

    /**
     * Creates a worker thread.
     *
     * @param group the thread group
     * @param task what the thread runs
     * @param name the thread's name
     * @param stackSize requested stack size in bytes, 0 for the default
     */
    public SandboxThread(ThreadGroup group, Runnable task, String name, long stackSize) {
        this(group, task, name, stackSize, null);
    }

    SandboxThread(ThreadGroup group, Runnable task, String name, long stackSize, MeteredExecutor host) {
        super(group, task, name, stackSize);
        this.host = host;
        setDaemon(true);
    }

    /**
     * The meter of the invocation running on the current thread.
     *
     * @return the meter, or null when the current thread is not running sandboxed code
     */
    public static Meter currentMeter() {
        Thread t = Thread.currentThread();
        return t instanceof SandboxThread ? ((SandboxThread) t).meter : null;
    }

    void attach(Meter m) {
        this.meter = m;
    }
}
