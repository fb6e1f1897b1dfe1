package dev.ringfence.api;

/**
 * How an invocation ended. The names are stable: they appear in JSON, JFR events, metrics and
 * the {@code X-Ringfence-Outcome} HTTP header.
 */
public enum Outcome {
    /** The handler returned a response. */
    OK,
    /** The handler threw, or returned nothing. */
    ERROR,
    /** The wall-clock deadline passed. */
    TIMEOUT,
    /** The CPU-time budget ran out. */
    CPU_EXCEEDED,
    /** The deterministic tick budget ran out. */
    FUEL_EXCEEDED,
    /** The allocated-bytes budget ran out. */
    ALLOC_EXCEEDED,
    /** The handler recursed too deep. */
    STACK_EXCEEDED,
    /** The handler used more native memory than allowed. */
    NATIVE_EXCEEDED,
    /** The handler reached an API its policy denies. */
    DENIED,
    /** The route's queue was full. */
    REJECTED,
    /** The route's circuit breaker was open. */
    CIRCUIT_OPEN,
    /** The child process running the handler died. */
    CRASHED;

    /**
     * Tells whether this outcome is a budget running out.
     *
     * @return true for the CPU, fuel, allocation, stack, native and wall-clock outcomes
     */
    public boolean isBudget() {
        switch (this) {
            case TIMEOUT:
            case CPU_EXCEEDED:
            case FUEL_EXCEEDED:
            case ALLOC_EXCEEDED:
            case STACK_EXCEEDED:
            case NATIVE_EXCEEDED:
                return true;
            default:
                return false;
        }
    }
}
