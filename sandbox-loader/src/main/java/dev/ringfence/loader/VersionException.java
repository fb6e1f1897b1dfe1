package dev.ringfence.loader;

/**
 * A handler version could not be loaded, or a handler could not be created from it. The message
 * is one line naming the path or class and what is wrong with it; {@link #reason()} says which
 * kind of problem it is, for callers that map problems to status codes or metrics.
 */
public final class VersionException extends Exception {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Reason {
        /** A classpath entry does not exist. */
        MISSING_PATH,
        /** A classpath entry cannot be read, or is not a valid jar. */
        UNREADABLE,
        /** The classpath holds more bytes than the configured bound. */
        TOO_LARGE,
        /** A class could not be instrumented (reported at load time in eager mode). */
        INSTRUMENTATION_FAILED,
        /** The named class is not in the version (or is hidden from it). */
        CLASS_NOT_FOUND,
        /** The named class does not implement {@code dev.ringfence.api.Handler}, or is abstract. */
        NOT_A_HANDLER,
        /** The named class has no public no-argument constructor. */
        NO_PUBLIC_CONSTRUCTOR,
        /** The handler's constructor threw a checked or runtime exception (the cause). */
        CONSTRUCTOR_FAILED,
        /** The version has been closed (it was replaced and drained). */
        CLOSED
    }

    /** What went wrong. */
    private final Reason reason;

    /**
     * Creates the exception.
     *
     * @param reason what went wrong
     * @param message one line naming the path or class
     * @param cause the underlying exception, or null
     */
    public VersionException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /**
     * Creates the exception.
     *
     * @param reason what went wrong
     * @param message one line naming the path or class
     */
    public VersionException(Reason reason, String message) {
        this(reason, message, null);
    }

    /** @return what went wrong */
    public Reason reason() {
        return reason;
    }
}
