package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.lang.reflect.Method;

/**
 * Climbs to the system class loader by calling {@code ClassLoader.getSystemClassLoader} through
 * {@code Method.invoke} (the instrumenter rewrites only direct calls).
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class SystemClassLoaderByReflection implements Handler {
    /** Creates the handler. */
    public SystemClassLoaderByReflection() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Method m = ClassLoader.class.getMethod("getSystemClassLoader");
        Object loader = m.invoke(null);
        return Response.ok("escaped " + loader);
    }
}
