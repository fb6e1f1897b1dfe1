package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.lang.management.ManagementFactory;

/**
 * Gets the platform MBean server, from which it could reconfigure or dump the host.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class PlatformMBeanServer implements Handler {
    /** Creates the handler. */
    public PlatformMBeanServer() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Object server = ManagementFactory.getPlatformMBeanServer();
        return Response.ok("escaped " + (server != null));
    }
}
