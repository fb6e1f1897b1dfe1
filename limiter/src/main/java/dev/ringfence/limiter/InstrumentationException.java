package dev.ringfence.limiter;

/** A class could not be instrumented; it must not be loaded. */
public final class InstrumentationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong
     * @param cause the underlying failure
     */
    public InstrumentationException(String message, Throwable cause) {
        super(message, cause);
    }
}
