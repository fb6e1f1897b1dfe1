package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads {@code /etc/hostname} with {@code Files.readAllBytes}.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class ReadFilesReadAllBytes implements Handler {
    /** Creates the handler. */
    public ReadFilesReadAllBytes() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Files.readAllBytes(Path.of("/etc/hostname"));
        return Response.ok("escaped");
    }
}
