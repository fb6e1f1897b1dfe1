package dev.ringfence.agent.pipeline;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How full the heap is, as {@link MemoryWatch} judges it; an interface so tests can feed it
 * readings.
 *
 * <p><b>What "live" means.</b> The heap's instantaneous {@code used} counts every object not yet
 * collected, and on a generational collector most of it is young garbage that the next young
 * collection frees: G1 lets Eden grow to most of the free heap, so a healthy server passes 80 %
 * {@code used} between two young collections. Limits on it would pause routes for garbage.
 * {@link #jvm()} counts instead what has survived a collection:
 * <ul>
 *   <li>on a generational heap (one with an Eden pool: G1, Parallel, Serial), the current use of
 *       every heap pool but Eden — old generation and survivors. They change only when a
 *       collection promotes, compacts or frees, so this is "heap used after the last GC" plus
 *       what was allocated straight into the old generation since (G1's humongous arrays), kept
 *       up to date without waiting for a collection's report;</li>
 *   <li>on any other heap (ZGC, Shenandoah, Epsilon), the heap's use after the latest collection
 *       any collector reported ({@code GcInfo}), or the current use when none has run yet, and
 *       never more than the current use.</li>
 * </ul>
 * Old-generation garbage that only a mixed or full collection frees is counted too: the
 * reading errs high, never low, about what survived. That is why the watch asks for a full
 * collection ({@link #collect()}) before it recycles anything: a reading past the hard limit is
 * confirmed on a heap holding only what is reachable.
 */
public interface HeapGauge {
    /**
     * One reading of the heap.
     *
     * @param liveBytes what survived collection (see the class comment): the figure limits apply to
     * @param usedBytes everything in use now, garbage included
     * @param committedBytes what the JVM holds from the OS for the heap
     * @param maxBytes the heap's maximum, or -1 when it has none
     */
    record Reading(long liveBytes, long usedBytes, long committedBytes, long maxBytes) {
    }

    /** @return a reading taken now */
    Reading read();

    /** Asks for a full collection ({@link System#gc()}); returns once the JVM has run it or ignored the request. */
    void collect();

    /** @return this JVM's heap, read from its memory pool and collector MXBeans */
    static HeapGauge jvm() {
        return new JvmHeap();
    }

    /** The running JVM's heap. Thread-safe; the MXBeans are looked up once. */
    final class JvmHeap implements HeapGauge {
        private final List<MemoryPoolMXBean> heapPools = new ArrayList<>();
        private final Set<String> heapPoolNames = new HashSet<>();
        private final boolean generational;

        JvmHeap() {
            boolean eden = false;
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP) {
                    heapPools.add(p);
                    heapPoolNames.add(p.getName());
                    eden |= isEden(p.getName());
                }
            }
            this.generational = eden;
        }

        private static boolean isEden(String pool) {
            return pool.toLowerCase(Locale.ROOT).contains("eden");
        }

        @Override
        public Reading read() {
            MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
            long used = heap.getUsed();
            long live;
            if (generational) {
                live = 0;
                for (MemoryPoolMXBean p : heapPools) {
                    if (!isEden(p.getName())) {
                        live += p.getUsage().getUsed();
                    }
                }
            } else {
                long after = afterLatestCollection();
                live = after < 0 ? used : Math.min(after, used);
            }
            return new Reading(live, used, heap.getCommitted(), heap.getMax());
        }

        /** The heap in use after the latest collection reported, or -1 when none is known. */
        private long afterLatestCollection() {
            try {
                com.sun.management.GcInfo latest = null;
                for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                    if (gc instanceof com.sun.management.GarbageCollectorMXBean) {
                        com.sun.management.GcInfo info = ((com.sun.management.GarbageCollectorMXBean) gc).getLastGcInfo();
                        if (info != null && (latest == null || info.getEndTime() > latest.getEndTime())) {
                            latest = info;
                        }
                    }
                }
                if (latest == null) {
                    return -1;
                }
                long sum = 0;
                for (Map.Entry<String, MemoryUsage> e : latest.getMemoryUsageAfterGc().entrySet()) {
                    if (heapPoolNames.contains(e.getKey())) {
                        sum += e.getValue().getUsed();
                    }
                }
                return sum;
            } catch (LinkageError | RuntimeException e) {
                return -1; // a JVM without jdk.management: the current use is all there is
            }
        }

        @Override
        public void collect() {
            System.gc();
        }
    }
}
