package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Registers a shutdown hook (and removes it again if that worked).
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class AddShutdownHook implements Handler {
    /** Creates the handler. */
    public AddShutdownHook() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Thread hook = new Thread(() -> { });
        Runtime.getRuntime().addShutdownHook(hook);
        Runtime.getRuntime().removeShutdownHook(hook);
        return Response.ok("escaped");
    }
}
