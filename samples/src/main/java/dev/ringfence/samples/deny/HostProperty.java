package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Reads the system property holding the host's command line (its main class and arguments).
 * Must end {@code DENIED}; ordinary properties such as {@code java.version} stay readable.
 */
public class HostProperty implements Handler {
    /** Creates the handler. */
    public HostProperty() {
    }

    @Override
    public Response handle(Request request, Context context) {
        String version = System.getProperty("java.version");
        return Response.ok("escaped: java " + version + " run as " + System.getProperty("sun.java.command"));
    }
}
