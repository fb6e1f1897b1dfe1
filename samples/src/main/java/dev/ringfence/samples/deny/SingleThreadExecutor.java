package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Submits a task to a new {@code Executors.newSingleThreadExecutor()}.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class SingleThreadExecutor implements Handler {
    /** Creates the handler. */
    public SingleThreadExecutor() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Integer one = pool.submit(() -> 1).get();
            return Response.ok("escaped " + one);
        } finally {
            pool.shutdownNow();
        }
    }
}
