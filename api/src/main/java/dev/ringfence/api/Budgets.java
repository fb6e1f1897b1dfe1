package dev.ringfence.api;

/**
 * The budgets in force for one invocation. A value of {@code 0} means "no budget".
 *
 * @param wallNanos wall-clock deadline, in nanoseconds from the start of the invocation
 * @param cpuNanos CPU time of the handler's thread, in nanoseconds
 * @param fuel deterministic ticks (loop back-edges and method entries)
 * @param allocBytes bytes the handler's thread may allocate
 */
public record Budgets(long wallNanos, long cpuNanos, long fuel, long allocBytes) {
    /** No budget at all. */
    public static final Budgets NONE = new Budgets(0, 0, 0, 0);

    /**
     * Validates the values.
     *
     * @throws IllegalArgumentException if any value is negative
     */
    public Budgets {
        if (wallNanos < 0 || cpuNanos < 0 || fuel < 0 || allocBytes < 0) {
            throw new IllegalArgumentException("budgets must not be negative");
        }
    }
}
