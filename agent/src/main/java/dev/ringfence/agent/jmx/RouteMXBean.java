package dev.ringfence.agent.jmx;

/**
 * One route's figures, as {@code /status} and {@code /metrics} show them. Read-only; every getter
 * reads the live value. Latencies cover every request since the route was added.
 */
public interface RouteMXBean {
    /** @return the route's name */
    String getName();

    /** @return the handler class, or null before the first version */
    String getHandler();

    /** @return the short id of the version serving, or null when none is (not loaded yet, or scaled to zero) */
    String getVersion();

    /** @return the route's tier setting: {@code auto}, {@code in-process} or {@code process} ({@code isolation}) */
    String getTier();

    /** @return where the current version runs: {@code in-process} or {@code process} (an {@code auto} one moved) */
    String getRunningIn();

    /** @return versions of the route moved to the process tier so far, whatever the reason */
    long getEscalations();

    /** @return the workers the route may use at once ({@code maxInflight}) */
    int getPoolSize();

    /** @return requests running now */
    int getInflight();

    /** @return requests waiting for a slot now */
    int getQueued();

    /** @return the circuit breaker's state: {@code CLOSED}, {@code OPEN} or {@code HALF_OPEN} */
    String getBreakerState();

    /** @return whether the route is scaled to zero */
    boolean isParked();

    /** @return requests answered, every outcome */
    long getRequests();

    /** @return requests that ended {@code OK} */
    long getRequestsOk();

    /** @return requests refused because the route was full ({@code REJECTED}) */
    long getRejections();

    /** @return requests that passed their deadline ({@code TIMEOUT}) */
    long getTimeouts();

    /** @return median latency, in milliseconds */
    double getP50Millis();

    /** @return 95th percentile latency, in milliseconds */
    double getP95Millis();

    /** @return 99th percentile latency, in milliseconds */
    double getP99Millis();

    /** @return retries made */
    long getRetries();

    /** @return changes to the route's folder that went live */
    long getReloads();

    /** @return changes that failed (the previous version kept serving) */
    long getReloadFailures();

    /** @return cold starts (scale-to-zero) */
    long getColdStarts();

    /** @return handler threads left behind */
    long getAbandonedThreads();

    /** @return whether the route's version is quarantined (its requests end {@code CIRCUIT_OPEN}) */
    boolean isQuarantined();

    /** @return when the quarantine in force began (ISO-8601), or null when none is */
    String getQuarantinedSince();

    /** @return why the version is quarantined, one line, or null when it is not */
    String getQuarantineReason();

    /** @return quarantines begun so far, on every version of the route */
    long getQuarantines();

    /** @return changes of the pool's size */
    long getPoolResizes();

    /** @return whether the route refuses new requests because the heap is over its soft limit */
    boolean isPausedForMemory();

    /** @return requests refused while paused for memory */
    long getMemoryRejections();

    /** @return times the route's version was unloaded past the heap's hard limit */
    long getRecycles();

    /** @return the route's {@code cpu.share} in cores, 0 for none */
    double getCpuShare();

    /** @return the route's {@code alloc.rate} in bytes a second, 0 for none */
    long getAllocRate();

    /** @return milliseconds its invocations spent paused by its share */
    double getSharePausedMillis();

    /** @return the last reload's result, one line ({@code ok: …} or {@code failed: …}), or null */
    String getLastReload();
}
