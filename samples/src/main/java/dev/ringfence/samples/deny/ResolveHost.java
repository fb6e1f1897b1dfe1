package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Resolves {@code example.com} with {@code InetAddress.getByName}. A failed lookup counts as escaped: the query went out.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class ResolveHost implements Handler {
    /** Creates the handler. */
    public ResolveHost() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        try {
            InetAddress.getByName("example.com");
        } catch (UnknownHostException e) {
            return Response.ok("escaped (lookup attempted)");
        }
        return Response.ok("escaped");
    }
}
