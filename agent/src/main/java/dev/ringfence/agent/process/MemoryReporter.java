package dev.ringfence.agent.process;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;

/**
 * The child's side of the resident-memory watch: every {@value #INTERVAL_MILLIS} ms a daemon
 * thread reads this JVM's heap (used and committed), its direct buffers and its resident set, and
 * offers them to the host as a {@link Frames#REPORT} on the response ring.
 *
 * <p>Assumptions and guarantees: the thread is a host thread of the child (never a sandbox
 * thread: no gate or budget applies to it) and runs no handler code. A report is offered once and
 * dropped when the ring has no room (the host reads the ring while a request is in flight and,
 * between requests, when it takes a turn to look), so a report never delays an answer. The
 * host does not depend on reports for the hard limit: a stuck child cannot report, so the host
 * reads the child's resident set from {@code /proc} itself ({@link ResidentWatch}).
 */
final class MemoryReporter {
    /** How often a child reports. */
    static final long INTERVAL_MILLIS = 5_000;

    private MemoryReporter() {
    }

    /** Where reports go: the response ring. */
    @FunctionalInterface
    interface Sink {
        /**
         * Offers one report.
         *
         * @param buffer holds the encoded report
         * @param length its length
         * @return true when it was written, false when it was dropped
         */
        boolean offer(DirectBuffer buffer, int length);
    }

    /**
     * Starts the reporting thread.
     *
     * @param sink takes each encoded report
     * @return the started daemon thread
     */
    static Thread start(Sink sink) {
        ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(Frames.REPORT_BYTES);
        Thread t = new Thread(() -> {
            BufferPoolMXBean direct = directPool();
            while (true) {
                int length = Frames.encodeReport(buffer, sample(direct));
                sink.offer(buffer, length);
                try {
                    Thread.sleep(INTERVAL_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "ringfence-worker-memory-report");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Reads this JVM's memory now. */
    static ChildMemory sample(BufferPoolMXBean direct) {
        Runtime rt = Runtime.getRuntime();
        long committed = rt.totalMemory();
        return new ChildMemory(committed - rt.freeMemory(), committed, direct == null ? -1 : direct.getMemoryUsed(),
                ResidentWatch.residentBytes(ProcessHandle.current().pid()), System.currentTimeMillis());
    }

    private static BufferPoolMXBean directPool() {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (b.getName().equals("direct")) {
                return b;
            }
        }
        return null;
    }
}
