package dev.ringfence.agent.pipeline;

import dev.ringfence.api.Outcome;
import dev.ringfence.api.Response;

/**
 * What one invocation produced.
 *
 * @param requestId the request id
 * @param outcome how it ended
 * @param response the handler's response when {@code OK}, a breaker's fallback, else null
 * @param message why it did not end {@code OK}, else null
 * @param wallNanos wall-clock time
 * @param cpuNanos CPU time of the handler's thread
 * @param allocatedBytes bytes the handler's thread allocated
 * @param fuel ticks charged
 * @param version the handler version that ran (short id), or {@code "-"} when none did
 * @param abandoned whether the handler's thread did not stop within the grace and was left behind
 */
public record InvocationResult(String requestId, Outcome outcome, Response response, String message, long wallNanos,
        long cpuNanos, long allocatedBytes, long fuel, String version, boolean abandoned) {

    /**
     * A request that ended before any handler ran (refused, timed out in the queue, no version).
     *
     * @param requestId the request id
     * @param outcome how it ended
     * @param response what to answer instead of the outcome's error (a breaker's fallback), or null
     * @param message why
     * @param wallNanos time from arrival to the answer
     * @param version the route's current version, or {@code "-"}
     * @return the result
     */
    public static InvocationResult refused(String requestId, Outcome outcome, Response response, String message,
            long wallNanos, String version) {
        return new InvocationResult(requestId, outcome, response, message, wallNanos, 0, 0, -1, version, false);
    }

    /**
     * @param newWallNanos the wall time to report (from the request's arrival, retries included)
     * @return this result with another wall time
     */
    public InvocationResult withWallNanos(long newWallNanos) {
        return new InvocationResult(requestId, outcome, response, message, newWallNanos, cpuNanos, allocatedBytes, fuel,
                version, abandoned);
    }

    /**
     * @return the HTTP status: the response's when there is one (the handler's for {@code OK}, a
     *     fallback's for {@code CIRCUIT_OPEN}), else the outcome's
     */
    public int status() {
        return response != null ? response.status() : statusOf(outcome);
    }

    /**
     * The HTTP status an outcome other than {@code OK} is answered with.
     *
     * @param outcome the outcome
     * @return the status
     */
    public static int statusOf(Outcome outcome) {
        switch (outcome) {
            case OK:
                return 200;
            case TIMEOUT:
                return 504;
            case REJECTED:
            case CIRCUIT_OPEN:
                return 503;
            case CRASHED:
                return 502;
            default:
                return 500;
        }
    }
}
