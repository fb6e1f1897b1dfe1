package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.lang.reflect.Field;

/**
 * Reads {@code sun.misc.Unsafe.theUnsafe} by reflection, which would give it raw memory access.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class UnsafeTheUnsafe implements Handler {
    /** Creates the handler. */
    public UnsafeTheUnsafe() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
        f.setAccessible(true);
        Object unsafe = f.get(null);
        return Response.ok("escaped " + (unsafe != null));
    }
}
