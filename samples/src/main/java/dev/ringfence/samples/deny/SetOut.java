package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Replaces {@code System.out} (with itself, so an escape does no harm).
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class SetOut implements Handler {
    /** Creates the handler. */
    public SetOut() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        System.setOut(System.out);
        return Response.ok("escaped");
    }
}
