package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.util.concurrent.CompletableFuture;

/**
 * Runs a supplier with {@link CompletableFuture#supplyAsync}, on the common pool.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class SupplyAsync implements Handler {
    /** Creates the handler. */
    public SupplyAsync() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Integer one = CompletableFuture.supplyAsync(() -> 1).get();
        return Response.ok("escaped " + one);
    }
}
