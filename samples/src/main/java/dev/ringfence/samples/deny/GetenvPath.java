package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Reads the environment variable {@code PATH}.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class GetenvPath implements Handler {
    /** Creates the handler. */
    public GetenvPath() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        String path = System.getenv("PATH");
        return Response.ok("escaped " + (path != null));
    }
}
