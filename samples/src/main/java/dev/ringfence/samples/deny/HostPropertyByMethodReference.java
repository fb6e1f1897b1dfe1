package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.util.Optional;

/**
 * Hands {@code System::getProperty} to a JDK method ({@code Optional.map}), so that the frame
 * right above {@code System.getProperty} is the JDK's, not the handler's, and asks for the
 * host's home directory that way.
 *
 * <p>Outcome: {@code DENIED}. Answers {@code OK} with the body {@code escaped …} only if the gate
 * judged the call by the JDK frame that ran the method reference.
 */
public class HostPropertyByMethodReference implements Handler {
    /** Creates the handler. */
    public HostPropertyByMethodReference() {
    }

    @Override
    public Response handle(Request request, Context context) {
        return Response.ok("escaped " + Optional.of("user.home").map(System::getProperty).orElse("?"));
    }
}
