package dev.ringfence.agent.pipeline;

import dev.ringfence.api.Outcome;
import dev.ringfence.api.Response;

/**
 * What one invocation produced.
 *
 * @param requestId the request id
 * @param outcome how it ended
 * @param response the handler's response when {@code OK}, else null
 * @param message why it did not end {@code OK}, else null
 * @param wallNanos wall-clock time
 * @param cpuNanos CPU time of the handler's thread
 * @param allocatedBytes bytes the handler's thread allocated
 * @param fuel ticks charged
 * @param version the handler version that ran (short id)
 */
public record InvocationResult(String requestId, Outcome outcome, Response response, String message, long wallNanos,
        long cpuNanos, long allocatedBytes, long fuel, String version) {

    /** @return the HTTP status: the handler's for {@code OK}, else the outcome's */
    public int status() {
        return outcome == Outcome.OK ? response.status() : statusOf(outcome);
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
