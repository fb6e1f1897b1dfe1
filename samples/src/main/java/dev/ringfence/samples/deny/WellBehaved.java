package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.function.IntUnaryOperator;

/**
 * Does what the gates must keep working for handler code: reflection on its own private field
 * with {@code setAccessible}, a lambda, string concatenation (both spin hidden classes inside the
 * JDK), and {@code Method.invoke} a hundred times (past the point where JDK 17 inflates
 * reflection into generated accessor classes, defined by a JDK-internal class loader on the
 * calling thread).
 *
 * <p>Outcome: {@code OK} with the body {@code ok 42 4950 concat-7} under the default policy and
 * any budget that allows a few thousand ticks.
 */
public class WellBehaved implements Handler {
    private int secret = 41;

    /** Creates the handler. */
    public WellBehaved() {
    }

    private int plus(int a, int b) {
        return a + b;
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Field f = WellBehaved.class.getDeclaredField("secret");
        f.setAccessible(true);
        f.setInt(this, f.getInt(this) + 1);

        IntUnaryOperator twice = x -> x * 2;
        Method plus = WellBehaved.class.getDeclaredMethod("plus", int.class, int.class);
        plus.setAccessible(true);
        int sum = 0;
        for (int i = 0; i < 100; i++) {
            sum = (Integer) plus.invoke(this, sum, i);
        }
        int seven = twice.applyAsInt(3) + 1;
        String concat = "concat-" + seven;
        return Response.ok("ok " + secret + " " + sum + " " + concat);
    }
}
