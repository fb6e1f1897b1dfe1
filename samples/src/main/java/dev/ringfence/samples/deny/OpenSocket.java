package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Opens a TCP socket to {@code 127.0.0.1:9}. It must be denied before connecting: a refused connection still
 * counts as escaped, since the connection was attempted.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class OpenSocket implements Handler {
    /** Creates the handler. */
    public OpenSocket() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 9), 1000);
        } catch (IOException e) {
            return Response.ok("escaped (connect attempted: " + e.getClass().getSimpleName() + ")");
        }
        return Response.ok("escaped");
    }
}
