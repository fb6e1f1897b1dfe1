package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.awt.Graphics;
import java.util.Collections;
import javax.imageio.spi.ServiceRegistry;
import javax.swing.DebugGraphics;

/**
 * Gets the JVM's finalizer thread to run handler code, where no invocation is metered: a subclass
 * of {@link ServiceRegistry}, whose inherited {@code finalize()} calls the overridable
 * {@code deregisterAll()}; and a handler {@link Graphics} wrapped in a JDK {@link DebugGraphics},
 * whose inherited {@code finalize()} disposes of the handler's. Both try to read an environment
 * variable there.
 *
 * <p>Outcome: {@code OK} with a body that does not contain {@code escaped} ({@code refused} once the
 * finalizer thread ran the wrapper): the subclass is not finalized, and the gates deny the handler's
 * call on the finalizer thread.
 */
public class InheritedFinalizer implements Handler {
    private static volatile String result;
    private static volatile boolean armed;
    private static final Object[] KEEP = new Object[1];

    /** Creates the handler. */
    public InheritedFinalizer() {
    }

    private static void attempt(String how) {
        if (!armed) {
            return; // a first call from the handler's own thread: links the methods
        }
        try {
            String path = System.getenv("PATH");
            result = "escaped through " + how + " " + (path != null);
        } catch (Throwable t) {
            result = "refused";
        }
    }

    /** A registry the JVM would finalize. */
    static final class Registry extends ServiceRegistry {
        Registry() {
            super(Collections.<Class<?>>emptyIterator());
        }

        @Override
        public void deregisterAll() {
            attempt("a subclass");
        }
    }

    /** A graphics object the JDK's DebugGraphics disposes of when finalized. */
    static final class Mine extends DebugGraphics {
        @Override
        public void dispose() {
            attempt("a JDK wrapper");
        }
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Registry registry = new Registry();
        registry.deregisterAll();
        Graphics mine = new Mine();
        mine.dispose();
        KEEP[0] = mine;
        armed = true;
        registry = null;
        new DebugGraphics(mine);
        for (int i = 0; i < 40 && result == null; i++) {
            System.gc();
            Thread.sleep(25);
        }
        return Response.ok(result == null ? "not finalized" : result);
    }
}
