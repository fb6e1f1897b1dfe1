package dev.ringfence.api;

/**
 * What a handler knows of its invocation. Supplied by the sandbox; handlers do not implement it.
 */
public interface Context {
    /**
     * The request id, the same as {@link Request#requestId()}.
     *
     * @return the request id
     */
    String requestId();

    /**
     * Time left before the wall-clock deadline.
     *
     * @return nanoseconds left, {@link Long#MAX_VALUE} when there is no deadline, never negative
     */
    long remainingNanos();

    /**
     * Time left before the wall-clock deadline, in milliseconds.
     *
     * @return milliseconds left, {@link Long#MAX_VALUE} when there is no deadline
     */
    default long remainingMillis() {
        long nanos = remainingNanos();
        return nanos == Long.MAX_VALUE ? Long.MAX_VALUE : nanos / 1_000_000L;
    }

    /**
     * The budgets in force for this invocation.
     *
     * @return the budgets
     */
    Budgets budgets();

    /**
     * The invocation's logger; lines carry the route and request id.
     *
     * @return the logger
     */
    Logger logger();

    /** A line logger owned by the sandbox. Messages are plain strings, never evaluated later. */
    interface Logger {
        /**
         * Logs an informational line.
         *
         * @param message the line
         */
        void info(String message);

        /**
         * Logs a warning.
         *
         * @param message the line
         */
        void warn(String message);
    }
}
