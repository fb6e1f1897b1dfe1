package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Calls {@code Lookup.defineClass} through {@code MethodHandle.invokeWithArguments}, so that the
 * frame right above it is the JDK's, to define a class the instrumenter never saw (no probes, no
 * catch guards). The bytes are those of one of its own classes, not loaded yet, which is enough
 * to show the define went through.
 *
 * <p>Outcome: {@code DENIED}. Answers {@code OK} with the body {@code escaped} only if the class
 * was defined.
 */
public class DefineClassByInvokeWithArguments implements Handler {
    /** Creates the handler. */
    public DefineClassByInvokeWithArguments() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        byte[] bytes;
        try (java.io.InputStream in = DefineClassByInvokeWithArguments.class
                .getResourceAsStream("DefineClassByInvokeWithArguments$Twin.class")) {
            bytes = in.readAllBytes();
        }
        MethodHandle define = MethodHandles.lookup().findVirtual(MethodHandles.Lookup.class, "defineClass",
                MethodType.methodType(Class.class, byte[].class));
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        // nothing has loaded the twin yet, so the define itself would succeed
        Object defined;
        try {
            defined = define.invokeWithArguments(lookup, bytes);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return Response.ok("escaped " + defined);
    }

    /** The class whose bytes the handler tries to define again. */
    static final class Twin {
        private Twin() {
        }
    }
}
