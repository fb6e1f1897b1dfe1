package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.util.concurrent.ForkJoinPool;

/**
 * Submits a task to the common {@link ForkJoinPool}, whose threads the host shares.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class CommonPoolSubmit implements Handler {
    /** Creates the handler. */
    public CommonPoolSubmit() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Integer one = ForkJoinPool.commonPool().submit(() -> 1).get();
        return Response.ok("escaped " + one);
    }
}
