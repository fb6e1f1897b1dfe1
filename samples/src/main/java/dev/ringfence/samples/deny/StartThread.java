package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Starts a platform thread, which would run unmetered.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class StartThread implements Handler {
    /** Creates the handler. */
    public StartThread() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Thread t = new Thread(() -> { });
        t.start();
        t.join();
        return Response.ok("escaped");
    }
}
