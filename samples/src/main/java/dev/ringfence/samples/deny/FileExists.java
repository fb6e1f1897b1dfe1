package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.io.File;

/**
 * Asks whether {@code /etc/hostname} exists with {@code File.exists}: metadata is a read too.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class FileExists implements Handler {
    /** Creates the handler. */
    public FileExists() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        boolean exists = new File("/etc/hostname").exists();
        return Response.ok("escaped " + exists);
    }
}
