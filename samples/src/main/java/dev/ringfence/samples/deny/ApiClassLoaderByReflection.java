package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.lang.reflect.Method;

/**
 * Gets the host loader of the API class {@link Handler} by calling {@code Class.getClassLoader} through
 * {@code Method.invoke}.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class ApiClassLoaderByReflection implements Handler {
    /** Creates the handler. */
    public ApiClassLoaderByReflection() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Method m = Class.class.getMethod("getClassLoader");
        Object loader = m.invoke(Handler.class);
        return Response.ok("escaped " + loader);
    }
}
