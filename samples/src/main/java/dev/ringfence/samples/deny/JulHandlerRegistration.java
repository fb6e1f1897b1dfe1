package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Registers its own {@link java.util.logging.Handler} on the root logger, which the host's
 * threads would later call (unmetered, ungated) whenever they log. Must end {@code DENIED}.
 */
public class JulHandlerRegistration implements Handler {
    /** Creates the handler. */
    public JulHandlerRegistration() {
    }

    @Override
    public Response handle(Request request, Context context) {
        Logger.getLogger("").addHandler(new java.util.logging.Handler() {
            @Override
            public void publish(LogRecord record) {
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        return Response.ok("escaped: a handler object now runs on host threads");
    }
}
