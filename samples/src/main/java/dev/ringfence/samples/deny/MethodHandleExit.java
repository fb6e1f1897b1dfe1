package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Calls {@code Runtime.exit} through a method handle.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class MethodHandleExit implements Handler {
    /** Creates the handler. */
    public MethodHandleExit() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        MethodHandle exit = MethodHandles.lookup().findVirtual(Runtime.class, "exit",
                MethodType.methodType(void.class, int.class));
        try {
            exit.invoke(Runtime.getRuntime(), 3);
        } catch (Error | Exception e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return Response.ok("escaped");
    }
}
