package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Loads the native library {@code z} with {@code System.loadLibrary}.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class LoadLibrary implements Handler {
    /** Creates the handler. */
    public LoadLibrary() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        System.loadLibrary("z");
        return Response.ok("escaped");
    }
}
