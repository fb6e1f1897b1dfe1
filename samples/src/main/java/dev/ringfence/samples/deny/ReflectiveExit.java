package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.lang.reflect.Method;

/**
 * Calls {@code Runtime.exit} through {@code Method.invoke}, so that no call site names it.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class ReflectiveExit implements Handler {
    /** Creates the handler. */
    public ReflectiveExit() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Method exit = Runtime.class.getMethod("exit", int.class);
        exit.invoke(Runtime.getRuntime(), 3);
        return Response.ok("escaped");
    }
}
