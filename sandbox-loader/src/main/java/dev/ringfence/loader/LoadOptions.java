package dev.ringfence.loader;

import dev.ringfence.limiter.Metering;
import dev.ringfence.limiter.Policy;
import java.util.Objects;

/**
 * How a {@link HandlerVersion} is loaded. Immutable.
 *
 * @param policy the deny policy of the route: the version's loader reports it to the gates, and
 *     it is part of the cache key of instrumented classes
 * @param cache the on-disk cache of instrumented classes (and of the content ids of jar files
 *     read before), or null to instrument, and hash every classpath, without one
 * @param mode when classes are instrumented
 * @param maxClasspathBytes the most bytes a classpath may hold once read into memory
 * @param metering the flavour of the probes at back-edges and method entries: {@link Metering#COUNT}
 *     for routes with a fuel budget, {@link Metering#GUARD} (cheaper) for the others
 */
public record LoadOptions(Policy policy, InstrumentedClassCache cache, InstrumentMode mode, long maxClasspathBytes,
        Metering metering) {
    /** Default bound on the bytes of a version's classpath: 512 MiB. */
    public static final long DEFAULT_MAX_CLASSPATH_BYTES = 512L << 20;

    /**
     * Checks the options.
     *
     * @param policy the route's deny policy
     * @param cache the instrumented-class cache, or null for none
     * @param mode when classes are instrumented
     * @param maxClasspathBytes the most bytes a classpath may hold
     * @param metering the flavour of probes
     * @throws NullPointerException when the policy, mode or metering is null
     * @throws IllegalArgumentException when the bound is not positive
     */
    public LoadOptions {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(metering, "metering");
        if (maxClasspathBytes <= 0) {
            throw new IllegalArgumentException("maxClasspathBytes must be positive: " + maxClasspathBytes);
        }
    }

    /**
     * Options with a policy, no cache, on-demand instrumentation, counting probes and the default
     * size bound.
     *
     * @param policy the route's policy
     * @return the options
     */
    public static LoadOptions of(Policy policy) {
        return new LoadOptions(policy, null, InstrumentMode.ON_DEMAND, DEFAULT_MAX_CLASSPATH_BYTES, Metering.COUNT);
    }

    /**
     * @param newPolicy the policy
     * @return these options with another policy
     */
    public LoadOptions withPolicy(Policy newPolicy) {
        return new LoadOptions(newPolicy, cache, mode, maxClasspathBytes, metering);
    }

    /**
     * @param newCache the cache, or null for none
     * @return these options with another cache
     */
    public LoadOptions withCache(InstrumentedClassCache newCache) {
        return new LoadOptions(policy, newCache, mode, maxClasspathBytes, metering);
    }

    /**
     * @param newMode when to instrument
     * @return these options with another mode
     */
    public LoadOptions withMode(InstrumentMode newMode) {
        return new LoadOptions(policy, cache, newMode, maxClasspathBytes, metering);
    }

    /**
     * @param bytes the bound
     * @return these options with another bound on classpath bytes
     */
    public LoadOptions withMaxClasspathBytes(long bytes) {
        return new LoadOptions(policy, cache, mode, bytes, metering);
    }

    /**
     * @param newMetering the flavour of probes
     * @return these options with another flavour of probes
     */
    public LoadOptions withMetering(Metering newMetering) {
        return new LoadOptions(policy, cache, mode, maxClasspathBytes, newMetering);
    }
}
