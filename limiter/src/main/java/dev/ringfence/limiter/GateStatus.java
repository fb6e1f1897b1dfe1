package dev.ringfence.limiter;

/**
 * Whether the capability gates (installed in JDK classes by the agent) are in force. Without
 * them the deny policy cannot hold, so {@link MeteredExecutor} refuses to run handler code unless
 * the system property {@code ringfence.allowUngated=true} says the caller knows (unit tests).
 */
public final class GateStatus {
    private static volatile boolean installed;

    private GateStatus() {
    }

    /** Called by the agent once every gate is in place. */
    public static void markInstalled() {
        installed = true;
    }

    /** @return true once the gates are in place */
    public static boolean installed() {
        return installed;
    }

    static void requireGates() {
        if (!installed && !Boolean.getBoolean("ringfence.allowUngated")) {
            throw new IllegalStateException("ringfence: the capability gates are not installed: run with "
                    + "-javaagent:ringfence-agent.jar (or java -jar ringfence-agent.jar), or set "
                    + "-Dringfence.allowUngated=true to run without the deny policy");
        }
    }
}
