package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.io.FileInputStream;

/**
 * Reads {@code /etc/hostname} with a {@link FileInputStream}.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class ReadFileInputStream implements Handler {
    /** Creates the handler. */
    public ReadFileInputStream() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        try (FileInputStream in = new FileInputStream("/etc/hostname")) {
            in.read();
        }
        return Response.ok("escaped");
    }
}
