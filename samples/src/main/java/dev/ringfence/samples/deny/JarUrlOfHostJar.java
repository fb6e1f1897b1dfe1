package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.io.InputStream;
import java.net.URL;

/**
 * Reads an entry of a jar named in the request body through a {@code jar:} URL. The JVM keeps
 * the JarFile of a jar: URL open and shared once any code has read through one, as the host does
 * with its own jars: the file is then read without being opened again.
 *
 * <p>Outcome: {@code DENIED} under the default policy whatever jar the body names. Answers
 * {@code OK} with the body {@code escaped} only if the gate did not hold.
 */
public class JarUrlOfHostJar implements Handler {
    /** Creates the handler. */
    public JarUrlOfHostJar() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        URL url = new URL("jar:file:" + request.bodyAsString() + "!/META-INF/MANIFEST.MF");
        try (InputStream in = url.openStream()) {
            return Response.ok("escaped " + in.readAllBytes().length);
        }
    }
}
