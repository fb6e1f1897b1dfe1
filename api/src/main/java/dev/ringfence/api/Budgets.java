package dev.ringfence.api;

/**
 * The budgets in force for one invocation. A value of {@code 0} means "no budget".
 *
 * @param wallNanos wall-clock deadline, in nanoseconds from the start of the invocation
 * @param cpuNanos CPU time of the handler's thread, in nanoseconds
 * @param fuel deterministic ticks (loop back-edges and method entries)
 * @param allocBytes bytes the handler's thread may allocate
 * @param nativeBytes bytes of memory outside the heap (direct buffers, native memory segments,
 *     file mappings, compression state) the handler's thread may reserve; like {@code allocBytes}
 *     it counts what was reserved during the invocation, whether or not it was freed since
 */
public record Budgets(long wallNanos, long cpuNanos, long fuel, long allocBytes, long nativeBytes) {
    /** No budget at all. */
    public static final Budgets NONE = new Budgets(0, 0, 0, 0, 0);

    /**
     * Validates the values.
     *
     * @throws IllegalArgumentException if any value is negative
     */
    public Budgets {
        if (wallNanos < 0 || cpuNanos < 0 || fuel < 0 || allocBytes < 0 || nativeBytes < 0) {
            throw new IllegalArgumentException("budgets must not be negative");
        }
    }

    /**
     * Budgets without a native-memory budget.
     *
     * @param wallNanos wall-clock deadline
     * @param cpuNanos CPU time
     * @param fuel deterministic ticks
     * @param allocBytes allocated bytes
     * @throws IllegalArgumentException if any value is negative
     */
    public Budgets(long wallNanos, long cpuNanos, long fuel, long allocBytes) {
        this(wallNanos, cpuNanos, fuel, allocBytes, 0);
    }

    /**
     * @param newNativeBytes the native-memory budget, 0 for none
     * @return these budgets with that native-memory budget
     */
    public Budgets withNativeBytes(long newNativeBytes) {
        return new Budgets(wallNanos, cpuNanos, fuel, allocBytes, newNativeBytes);
    }

    // written out: a record's generated equals runs through a method-handle chain, slow until compiled
    @Override
    public boolean equals(Object o) {
        return o instanceof Budgets b && wallNanos == b.wallNanos && cpuNanos == b.cpuNanos && fuel == b.fuel
                && allocBytes == b.allocBytes && nativeBytes == b.nativeBytes;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(wallNanos) * 31 * 31 * 31 * 31 + Long.hashCode(cpuNanos) * 31 * 31 * 31
                + Long.hashCode(fuel) * 31 * 31 + Long.hashCode(allocBytes) * 31 + Long.hashCode(nativeBytes);
    }
}
