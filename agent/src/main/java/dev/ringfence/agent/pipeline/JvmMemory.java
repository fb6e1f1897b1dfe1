package dev.ringfence.agent.pipeline;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;

/**
 * A reading of this JVM's memory: heap used, committed and max, Metaspace used, classes loaded.
 *
 * @param heapUsedBytes heap in use
 * @param heapMaxBytes the heap's maximum, or -1 when undefined
 * @param metaspaceUsedBytes Metaspace in use, or -1 when this JVM has no pool named Metaspace
 * @param loadedClasses classes loaded now
 * @param heapCommittedBytes heap the JVM holds from the operating system
 */
public record JvmMemory(long heapUsedBytes, long heapMaxBytes, long metaspaceUsedBytes, int loadedClasses,
        long heapCommittedBytes) {

    /** @return a reading taken now; cheap enough for every scrape (a few MXBean reads) */
    public static JvmMemory now() {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return new JvmMemory(heap.getUsed(), heap.getMax(), metaspaceUsed(),
                ManagementFactory.getClassLoadingMXBean().getLoadedClassCount(), heap.getCommitted());
    }

    /** @return Metaspace in use, in bytes, or -1 when this JVM has no pool named Metaspace */
    public static long metaspaceUsed() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.NON_HEAP && "Metaspace".equals(pool.getName())) {
                return pool.getUsage().getUsed();
            }
        }
        return -1;
    }
}
