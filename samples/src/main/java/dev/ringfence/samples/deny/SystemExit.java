package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Calls {@code System.exit(3)}, which would stop the host JVM.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class SystemExit implements Handler {
    /** Creates the handler. */
    public SystemExit() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        System.exit(3);
        return Response.ok("escaped");
    }
}
