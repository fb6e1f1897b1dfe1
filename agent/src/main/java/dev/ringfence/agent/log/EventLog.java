package dev.ringfence.agent.log;

import java.io.PrintStream;
import java.time.Instant;

/**
 * The structured event log: one JSON object per line, {@code {"ts":"…","event":"…",…}}, where
 * {@code ts} is the ISO-8601 instant and {@code event} one of the names below; the other fields
 * depend on the event.
 *
 * <ul>
 *   <li>{@code budget}, {@code denied}, {@code slow}, {@code abandoned}: one invocation (route,
 *       version, requestId, outcome, wallMs, cpuMs, allocatedBytes, message); {@code slow} is for an
 *       invocation longer than its route's {@code slow} that tripped no budget and was not denied</li>
 *   <li>{@code breaker}: a circuit breaker transition (route, from, to)</li>
 *   <li>{@code quarantined}: a version quarantined after its handler threads were abandoned (route,
 *       version, requestId and outcome of the request that did it, abandonedThreads, releaseAt,
 *       message); {@code quarantine-lifted}: its end (route, version, since, message)</li>
 *   <li>{@code reload}, {@code reload-failed}, {@code route-added}, {@code route-removed}: the
 *       routes directory (route, version, previous, loadMs, metaspaceDeltaBytes across the load,
 *       message)</li>
 *   <li>{@code unloaded}, {@code leaked}: a retired version's class loader (route, version,
 *       afterMs, metaspaceUsedBytes and metaspaceDeltaSinceRetireBytes; cause for a leak)</li>
 *   <li>{@code handler-log}: a line a handler wrote through {@code Context.logger()} (route,
 *       requestId, level, message)</li>
 *   <li>{@code memory}: the heap, every {@code memory.interval} (state, heapLiveBytes,
 *       heapUsedBytes, heapCommittedBytes, heapMaxBytes, softLimitBytes, hardLimitBytes,
 *       metaspaceUsedBytes, loadedClasses, paused); {@code memory-soft}, {@code memory-hard},
 *       {@code memory-normal}: its state changed (from, heapLiveBytes, the limits; resumed routes);
 *       {@code memory-paused}: a route stopped admitting requests (route, reason, allocatedBytes in
 *       the last interval, inflight, queued); {@code recycled}: a route's version was unloaded past
 *       the hard limit (route, version, allocatedByVersionBytes, heapLiveBeforeBytes,
 *       heapLiveAfterBytes); {@code memory-check-failed}</li>
 *   <li>{@code deferred-failed}: deferred work that ran and did not end {@code OK} (route, version,
 *       requestId, kind, batch, items, outcome, lagMs, wallMs, cpuMs, allocatedBytes, abandoned,
 *       message); {@code deferred-rejected}: deferred work refused a queue place, at most one line a
 *       second per route (the same fields as far as known, unloggedSinceLastLine, message);
 *       {@code deferred-dropped}: deferred work not started within a drain's bound;
 *       {@code deferred-lost}: deferred work a child JVM had accepted and not run when it died or
 *       was killed (route, version, pieces, items, message)</li>
 *   <li>{@code listening}, {@code draining}, {@code stopped}, {@code route-ignored},
 *       {@code poll-failed}: the server and its routes directory</li>
 * </ul>
 *
 * <p>Thread-safe: each line is written with one {@code println} on a stream that locks per call,
 * so lines from different threads never interleave. Never throws.
 */
public final class EventLog {
    /** Writes nothing (for tests and embedders that do not want the lines). */
    public static final EventLog NONE = new EventLog(null);

    private final PrintStream out;

    /** @param out where the lines go (stderr in the server), or null for nowhere */
    public EventLog(PrintStream out) {
        this.out = out;
    }

    /**
     * Starts a line.
     *
     * @param event the event name
     * @return the line's fields so far ({@code ts}, {@code event}); add more, then {@link #emit}
     */
    public JsonText line(String event) {
        return new JsonText().put("ts", Instant.now().toString()).put("event", event);
    }

    /**
     * Writes a line.
     *
     * @param line what {@link #line} started
     */
    public void emit(JsonText line) {
        if (out == null) {
            return;
        }
        try {
            out.println(line);
        } catch (RuntimeException e) {
            // a broken stderr must not break a request
        }
    }
}
