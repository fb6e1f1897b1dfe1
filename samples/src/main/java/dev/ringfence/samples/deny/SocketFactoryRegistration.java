package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.net.Socket;

/**
 * Installs a JVM-wide socket factory (set once, used by every later socket of the host). Must
 * end {@code DENIED}.
 */
public class SocketFactoryRegistration implements Handler {
    /** Creates the handler. */
    public SocketFactoryRegistration() {
    }

    @Override
    @SuppressWarnings("deprecation")
    public Response handle(Request request, Context context) throws Exception {
        Socket.setSocketImplFactory(() -> null);
        return Response.ok("escaped: the host's sockets now come from handler code");
    }
}
