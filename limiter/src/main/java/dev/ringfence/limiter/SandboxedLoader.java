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

    /**
     * The guard the {@link Metering#GUARD} probes of this loader's classes are linked to.
     *
     * @return the guard, or null to share one with all other code that has none
     */
    default Guard guard() {
        return null;
    }

    /**
     * The flavour of probes this loader's classes carry.
     *
     * @return the flavour; counting unless the loader says otherwise
     */
    default Metering metering() {
        return Metering.COUNT;
    }
}
