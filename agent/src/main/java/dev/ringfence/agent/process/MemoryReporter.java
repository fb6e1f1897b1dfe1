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

    /** Where reports go now; null while nothing serves (a spare waiting for its version). */
    private static volatile Sink current;
    private static Thread thread;

    /**
     * Sends this JVM's reports to {@code sink} from now on, starting the reporting thread (one
     * per JVM) on the first call: the first report goes out at once, then one every
     * {@value #INTERVAL_MILLIS} ms. A spare's warm-up points it at its own loop and then at
     * nothing, so the version a {@code LOAD} brings finds the thread, and the management beans it
     * reads, ready.
     *
     * @param sink takes each encoded report; null stops the reports until the next call
     */
    static synchronized void reportTo(Sink sink) {
        current = sink;
        if (thread != null) {
            if (sink != null) {
                thread.interrupt(); // the new sink's first report now, not up to an interval later
            }
            return;
        }
        ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(Frames.REPORT_BYTES);
        Thread t = new Thread(() -> {
            BufferPoolMXBean direct = directPool();
            while (true) {
                Sink s = current;
                if (s != null) {
                    int length = Frames.encodeReport(buffer, sample(direct));
                    s.offer(buffer, length);
                }
                try {
                    Thread.sleep(INTERVAL_MILLIS);
                } catch (InterruptedException e) {
                    // a new sink: report to it now
                }
            }
        }, "ringfence-worker-memory-report");
        t.setDaemon(true);
        t.start();
        thread = t;
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
