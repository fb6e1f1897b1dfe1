package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.lang.reflect.Field;

/**
 * Opens the private field {@code String.value} with {@code setAccessible}.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class SetAccessibleJdkField implements Handler {
    /** Creates the handler. */
    public SetAccessibleJdkField() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Field f = String.class.getDeclaredField("value");
        f.setAccessible(true);
        return Response.ok("escaped");
    }
}
