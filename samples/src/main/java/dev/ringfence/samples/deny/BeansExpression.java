package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.beans.Expression;

/**
 * Calls {@code Runtime.exec} through {@code java.beans.Expression}, whose trampoline class is
 * defined by a JDK-internal class loader: the call must still count as the handler's. Must end
 * {@code DENIED}.
 */
public class BeansExpression implements Handler {
    /** Creates the handler. */
    public BeansExpression() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Object p = new Expression(Runtime.getRuntime(), "exec", new Object[] {"true"}).getValue();
        return Response.ok("escaped: " + p);
    }
}
