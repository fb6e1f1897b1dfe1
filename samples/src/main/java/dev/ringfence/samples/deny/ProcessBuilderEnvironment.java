package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Reads the environment through a {@link ProcessBuilder} that is never started: its
 * {@code environment()} is a copy of the whole environment of the JVM.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class ProcessBuilderEnvironment implements Handler {
    /** Creates the handler. */
    public ProcessBuilderEnvironment() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        String path = new ProcessBuilder().environment().get("PATH");
        return Response.ok("escaped " + (path != null));
    }
}
