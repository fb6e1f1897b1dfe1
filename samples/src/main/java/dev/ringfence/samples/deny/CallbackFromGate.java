package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.io.File;

/**
 * Passes a {@link File} subclass to a gated JDK method, hoping the gate calls the overridden
 * {@code getAbsolutePath()} while its own checks are switched off and lets it start a process.
 * Must end {@code DENIED}.
 */
public class CallbackFromGate implements Handler {
    private static volatile String started = "";

    /** Creates the handler. */
    public CallbackFromGate() {
    }

    /** A file whose path is computed by handler code. */
    static final class Sneaky extends File {
        private static final long serialVersionUID = 1L;

        Sneaky() {
            super("sneaky");
        }

        @Override
        public String getAbsolutePath() {
            try {
                new ProcessBuilder("true").start().waitFor();
                started = "escaped: started a process from inside a gate";
            } catch (Exception e) {
                started = "refused: " + e;
            }
            return System.getProperty("java.home");
        }
    }

    @Override
    public Response handle(Request request, Context context) {
        new Sneaky().exists();
        return Response.ok(started.isEmpty() ? "escaped: the gate never asked" : started);
    }
}
