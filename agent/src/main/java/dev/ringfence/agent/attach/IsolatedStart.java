package dev.ringfence.agent.attach;

import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.net.URL;
import java.net.URLClassLoader;

/**
 * What {@code agentmain} does for {@code attach} and {@code detach}: runs {@link AttachMain} in a
 * fresh class loader over the agent jar, whose parent is the platform loader, so that none of
 * the attached runtime's classes live in the system class loader (where the JVM loaded the
 * agent's entry class) and the host's own copies of ASM or anything else are never seen. The
 * loader of an attach stays reachable only through what the runtime installs; the loader of a
 * detach is closed when the detach returns. Keeps no state.
 */
public final class IsolatedStart {
    /** The agent arguments of the attach protocol start with this, then {@code attach:DIR} or {@code detach:DIR}. */
    public static final String PREFIX = "ringfence-attach:";

    private IsolatedStart() {
    }

    /**
     * Runs an attach or detach in a fresh loader. Never throws: {@link AttachMain} writes its
     * report, and a failure to start it goes to stderr.
     *
     * @param args the agent arguments, starting with {@link #PREFIX}
     * @param inst the instrumentation service
     */
    public static void run(String args, Instrumentation inst) {
        String rest = args.substring(PREFIX.length());
        try {
            URL jar = IsolatedStart.class.getProtectionDomain().getCodeSource().getLocation();
            URLClassLoader loader = new URLClassLoader("ringfence-attach", new URL[] {jar},
                    ClassLoader.getPlatformClassLoader());
            boolean keep = false;
            try {
                // by name: a class literal would load AttachMain into the system loader too
                Class<?> main = Class.forName("dev.ringfence.agent.attach.AttachMain", true, loader);
                Object kept = main.getMethod("run", String.class, Instrumentation.class).invoke(null, rest, inst);
                keep = Boolean.TRUE.equals(kept);
            } finally {
                if (!keep) {
                    loader.close();
                }
            }
        } catch (ReflectiveOperationException | IOException | RuntimeException | LinkageError e) {
            System.err.println("ringfence: " + rest + " failed to start: " + e);
        }
    }
}
