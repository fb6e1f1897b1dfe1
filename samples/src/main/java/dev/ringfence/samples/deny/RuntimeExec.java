package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Starts {@code true} with {@code Runtime.exec}.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class RuntimeExec implements Handler {
    /** Creates the handler. */
    public RuntimeExec() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Process p = Runtime.getRuntime().exec(new String[] {"true"});
        p.waitFor();
        return Response.ok("escaped");
    }
}
