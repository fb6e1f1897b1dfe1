package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Sets a system property, which every tenant and the host share.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class SetSystemProperty implements Handler {
    /** Creates the handler. */
    public SetSystemProperty() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        System.setProperty("ringfence.escaped", "yes");
        System.clearProperty("ringfence.escaped");
        return Response.ok("escaped");
    }
}
