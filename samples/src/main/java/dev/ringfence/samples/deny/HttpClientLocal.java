package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * Sends {@code GET http://127.0.0.1:9/} with {@link HttpClient}. A refused connection counts as escaped.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class HttpClientLocal implements Handler {
    /** Creates the handler. */
    public HttpClientLocal() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        try {
            client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:9/")).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            return Response.ok("escaped (connect attempted: " + e.getClass().getSimpleName() + ")");
        }
        return Response.ok("escaped");
    }
}
