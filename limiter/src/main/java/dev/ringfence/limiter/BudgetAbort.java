package dev.ringfence.limiter;

/**
 * Thrown into handler code when its invocation's meter trips. It carries no stack trace and is
 * preallocated per invocation so that throwing it never allocates. Instrumented catch blocks
 * rethrow it, so handler code cannot swallow it; what the invocation reports is decided by the
 * meter's state, never by what the handler returns.
 */
public final class BudgetAbort extends Error {
    private static final long serialVersionUID = 1L;

    private final transient Meter meter;

    BudgetAbort(Meter meter) {
        super(null, null, false, false);
        this.meter = meter;
    }

    @Override
    public String getMessage() {
        return meter == null ? "budget exceeded" : meter.tripOutcome() + ": " + meter.tripMessage();
    }
}
