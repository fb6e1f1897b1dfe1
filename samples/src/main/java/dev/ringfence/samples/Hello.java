package dev.ringfence.samples;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Greets the caller: answers {@code hello, <name>} where the name is the query parameter
 * {@code name}, else the request body (trimmed), else {@code world}.
 *
 * <p>Outcome: {@code OK} (200, text) under any budget; it does almost nothing.
 */
public class Hello implements Handler {
    /** Creates the handler. */
    public Hello() {
    }

    @Override
    public Response handle(Request request, Context context) {
        String name = request.queryParam("name");
        if (name == null || name.isBlank()) {
            name = request.bodyAsString().trim();
        }
        if (name.isEmpty()) {
            name = "world";
        }
        return Response.ok("hello, " + name);
    }
}
