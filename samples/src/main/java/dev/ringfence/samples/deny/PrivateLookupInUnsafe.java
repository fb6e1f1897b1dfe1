package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.lang.invoke.MethodHandles;

/**
 * Asks for a private lookup in {@code sun.misc.Unsafe} with {@code MethodHandles.privateLookupIn}.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class PrivateLookupInUnsafe implements Handler {
    /** Creates the handler. */
    public PrivateLookupInUnsafe() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Class<?> unsafe = Class.forName("sun.misc.Unsafe");
        MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(unsafe, MethodHandles.lookup());
        return Response.ok("escaped " + lookup);
    }
}
