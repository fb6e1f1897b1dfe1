package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.lang.reflect.Method;

/**
 * Reflects on the class of its own thread (a ringfence class) to call its public static
 * {@code currentMeter()}, from which it could switch the gates off.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class ReflectOnSandboxThread implements Handler {
    /** Creates the handler. */
    public ReflectOnSandboxThread() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Method m = Thread.currentThread().getClass().getMethod("currentMeter");
        Object meter = m.invoke(null);
        return Response.ok("escaped " + (meter != null));
    }
}
