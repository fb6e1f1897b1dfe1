package dev.ringfence.api;

/**
 * A request-to-response function run inside the sandbox.
 *
 * <p>Implementations need a public no-argument constructor. One instance serves every
 * invocation of its handler version, possibly on several threads at once, so keep per-request
 * state in locals.
 */
@FunctionalInterface
public interface Handler {
    /**
     * Handles one request.
     *
     * @param request the request, immutable
     * @param context the invocation's context: request id, remaining time, budgets and a logger
     * @return the response; {@code null} is answered as an error
     * @throws Exception any failure, reported as the outcome {@link Outcome#ERROR}
     */
    Response handle(Request request, Context context) throws Exception;
}
