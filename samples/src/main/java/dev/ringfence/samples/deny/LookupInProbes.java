package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Moves its own lookup into ringfence's {@code Probes} with {@code Lookup.in} (no gate there) so
 * that a lookup of {@code Probes.gateMeter} and {@code Meter.setPrivileged} looks like ringfence
 * linking its own code; with those a handler could open every gate for itself.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold (it opens nothing: it only reports the handles).
 */
public class LookupInProbes implements Handler {
    /** Creates the handler. */
    public LookupInProbes() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Class<?> probes = Class.forName("dev.ringfence.limiter.Probes");
        MethodHandles.Lookup inProbes = MethodHandles.lookup().in(probes);
        Class<?> meter = inProbes.findClass("dev.ringfence.limiter.Meter");
        MethodHandle gateMeter = inProbes.findStatic(probes, "gateMeter", MethodType.methodType(meter));
        MethodHandle setPrivileged = inProbes.findVirtual(meter, "setPrivileged",
                MethodType.methodType(boolean.class, boolean.class));
        return Response.ok("escaped " + gateMeter + " " + setPrivileged);
    }
}
