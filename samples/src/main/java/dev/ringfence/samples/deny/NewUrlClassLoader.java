package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.net.URL;
import java.net.URLClassLoader;

/**
 * Creates a {@link URLClassLoader}, which would define classes the sandbox never instrumented.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class NewUrlClassLoader implements Handler {
    /** Creates the handler. */
    public NewUrlClassLoader() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {new URL("file:/tmp/")}, null)) {
            return Response.ok("escaped " + loader.getURLs().length);
        }
    }
}
