package dev.ringfence.limiter;

import java.util.List;

/**
 * Which package names belong to the sandbox itself. Handler jars may use any other name,
 * {@code dev.ringfence.samples} included; they may not define classes in these packages (the
 * sandbox's copies win) nor reference them, except the handler API.
 */
public final class SandboxPackages {
    private static final List<String> INTERNAL = List.of("dev.ringfence.limiter.", "dev.ringfence.loader.",
            "dev.ringfence.jfr.", "dev.ringfence.agent.", "dev.ringfence.boot.", "dev.ringfence.shaded.");
    private static final String API = "dev.ringfence.api.";

    private SandboxPackages() {
    }

    /**
     * Whether a handler jar may not define a class of this name.
     *
     * @param binaryName a class's binary name ({@code a.b.C})
     * @return true for {@code java.*}, the API and the sandbox's internal packages
     */
    public static boolean reserved(String binaryName) {
        return binaryName.startsWith("java.") || binaryName.startsWith(API) || internal(binaryName);
    }

    /**
     * Whether handler code may not reference this class: the sandbox's internals (not the API).
     *
     * @param name a binary ({@code a.b.C}) or internal ({@code a/b/C}) name
     * @return true for the sandbox's internal packages
     */
    public static boolean internal(String name) {
        String n = name.replace('/', '.');
        for (String p : INTERNAL) {
            if (n.startsWith(p)) {
                return true;
            }
        }
        return false;
    }
}
