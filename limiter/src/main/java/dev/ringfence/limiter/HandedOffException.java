package dev.ringfence.limiter;

/**
 * Thrown by {@link MeteredExecutor#runHere} on a thread whose invocation was abandoned while it
 * ran: the answer went to the abandonment callback long ago, on another thread. The caller must
 * unwind without answering, recording or releasing anything for that invocation a second time.
 */
public final class HandedOffException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    HandedOffException() {
        super("the invocation was answered on another thread while this one was still in it", null, false, false);
    }
}
