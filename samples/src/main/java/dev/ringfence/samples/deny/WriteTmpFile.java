package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a file in {@code /tmp} (and deletes it again if that worked).
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class WriteTmpFile implements Handler {
    /** Creates the handler. */
    public WriteTmpFile() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Path p = Path.of("/tmp/ringfence-deny-" + System.nanoTime());
        Files.writeString(p, "escaped");
        Files.deleteIfExists(p);
        return Response.ok("escaped");
    }
}
