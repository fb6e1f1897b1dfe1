package dev.ringfence.limiter;

/**
 * Whether the capability gates (installed in JDK classes by the agent) are in force. Without
 * them the deny policy cannot hold, so {@link MeteredExecutor} refuses to run handler code unless
 * the system property {@code ringfence.allowUngated=true} says the caller knows (unit tests).
 */
public final class GateStatus {
    private static volatile boolean installed;
    private static volatile String broken;

    private GateStatus() {
    }

    /** Called by the agent once every gate is in place; no effect once the gates are broken. */
    public static void markInstalled() {
        installed = broken == null;
    }

    /**
     * Called when a gated class could not be woven (at its first load, or when something
     * redefined it): from now on no handler code runs in this JVM, whatever the properties say.
     *
     * @param why which class and what went wrong
     */
    public static void markBroken(String why) {
        broken = why;
        installed = false;
    }

    /** @return true once the gates are in place, and while none is broken */
    public static boolean installed() {
        return installed;
    }

    static void requireGates() {
        String b = broken;
        if (b != null) {
            throw new IllegalStateException("ringfence: a capability gate could not be put in place (" + b
                    + "): this JVM runs no more handler code");
        }
        if (!installed && !Boolean.getBoolean("ringfence.allowUngated")) {
            throw new IllegalStateException("ringfence: the capability gates are not installed: run with "
                    + "-javaagent:ringfence-agent.jar (or java -jar ringfence-agent.jar), or set "
                    + "-Dringfence.allowUngated=true to run without the deny policy");
        }
    }
}
