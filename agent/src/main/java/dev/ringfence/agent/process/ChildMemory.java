package dev.ringfence.agent.process;

/**
 * What a child JVM of the process tier last said of its memory, with the resident size the host
 * read itself. A size the host or the child could not read (on a system without {@code /proc}, or
 * before the first report) is -1.
 *
 * @param heapUsedBytes the child's heap in use (young garbage included), from its last report
 * @param heapCommittedBytes the child's committed heap, from its last report
 * @param directUsedBytes the child's direct buffers (what {@code -XX:MaxDirectMemorySize} caps), from its last report
 * @param residentBytes the child's resident set ({@code VmRSS}), as the host read it last (else as the child reported it)
 * @param reportedAtMillis when the child's last report arrived ({@link System#currentTimeMillis()}), 0 for none yet
 */
public record ChildMemory(long heapUsedBytes, long heapCommittedBytes, long directUsedBytes, long residentBytes,
        long reportedAtMillis) {
    /** Nothing known yet. */
    public static final ChildMemory UNKNOWN = new ChildMemory(-1, -1, -1, -1, 0);

    /**
     * @param rss the resident size the host read, or -1 to keep the reported one
     * @return this reading with that resident size
     */
    ChildMemory withResident(long rss) {
        return rss < 0 ? this : new ChildMemory(heapUsedBytes, heapCommittedBytes, directUsedBytes, rss, reportedAtMillis);
    }
}
