package dev.ringfence.limiter;

import java.lang.management.ManagementFactory;

/**
 * Reads a thread's CPU time and allocated bytes. Obtained once, at class initialisation on the
 * host, so that the sandbox never needs the management API on a handler's thread.
 */
final class ThreadClock {
    private static final com.sun.management.ThreadMXBean BEAN = bean();

    private ThreadClock() {
    }

    private static com.sun.management.ThreadMXBean bean() {
        java.lang.management.ThreadMXBean b = ManagementFactory.getThreadMXBean();
        com.sun.management.ThreadMXBean sun = (com.sun.management.ThreadMXBean) b;
        if (sun.isThreadAllocatedMemorySupported() && !sun.isThreadAllocatedMemoryEnabled()) {
            sun.setThreadAllocatedMemoryEnabled(true);
        }
        if (b.isThreadCpuTimeSupported() && !b.isThreadCpuTimeEnabled()) {
            b.setThreadCpuTimeEnabled(true);
        }
        return sun;
    }

    /** Forces initialisation on the calling (host) thread. */
    static void init() {
        // class initialisation does the work
    }

    /** @return bytes the current thread has allocated since it started (about 18 ns) */
    static long allocatedBytes() {
        return BEAN.getCurrentThreadAllocatedBytes();
    }

    /** @return CPU nanoseconds the current thread has used (hundreds of ns) */
    static long cpuNanos() {
        return BEAN.getCurrentThreadCpuTime();
    }

    static long allocatedBytes(long threadId) {
        return BEAN.getThreadAllocatedBytes(threadId);
    }

    static long cpuNanos(long threadId) {
        return BEAN.getThreadCpuTime(threadId);
    }
}
