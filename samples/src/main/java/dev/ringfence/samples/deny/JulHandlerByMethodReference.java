package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.util.Optional;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Registers a logging handler on the root logger through a method reference a JDK method runs
 * ({@code Optional.ifPresent(root::addHandler)}). The JDK's logging calls such a handler on the
 * host's threads, at shutdown too, where no gate and no budget apply: a way out of the sandbox.
 *
 * <p>Outcome: {@code DENIED}. Answers {@code OK} with the body {@code escaped} only if the handler
 * was registered (it is removed again at once and does nothing).
 */
public class JulHandlerByMethodReference implements Handler {
    /** Creates the handler. */
    public JulHandlerByMethodReference() {
    }

    @Override
    public Response handle(Request request, Context context) {
        Logger root = Logger.getLogger("");
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(LogRecord record) {
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Optional.of(h).ifPresent(root::addHandler);
        Optional.of(h).ifPresent(root::removeHandler);
        return Response.ok("escaped");
    }
}
