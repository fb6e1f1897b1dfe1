package dev.ringfence.limiter;

/**
 * Marks a class loader that defines handler classes (instrumented, under a policy). Gates treat
 * classes defined by such a loader as the handler's own: it may reflect on them, and on nothing
 * else.
 */
public interface SandboxedLoader {
    /**
     * The policy of the handler version this loader defines.
     *
     * @return the policy
     */
    Policy policy();
}
