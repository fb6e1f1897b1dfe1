package dev.ringfence.agent.pipeline;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.jfr.RingfenceEvents;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The moves of one {@code isolation=auto} route's versions to the process tier: counted by reason,
 * the last one kept for {@code /status}, each reported as a {@code ringfence.Escalated} JFR event
 * and an {@code escalated} log line (an {@code escalation-failed} line when no child could be
 * started). A leaked class loader also marks the route: its versions start in a child from then on,
 * until its settings name another tier.
 *
 * <p>Thread-safe.
 */
public final class Escalations {
    /** What showed that one JVM cannot contain a version. */
    public enum Reason {
        /** It reserved more direct memory in one invocation than its {@code native} budget. */
        NATIVE_BUDGET("native-budget"),
        /** It asked to load a native library its policy allows: only a child honours that. */
        NATIVE_LIBRARY("native-library"),
        /** Its handler thread did not stop after its deadline or budget and was abandoned. */
        STUCK_THREAD("stuck-thread"),
        /** A retired version's class loader was not collected. */
        LEAKED_LOADER("leaked-loader");

        private final String text;

        Reason(String text) {
            this.text = text;
        }

        /** @return the reason as metrics, logs and JFR spell it */
        public String text() {
            return text;
        }
    }

    /**
     * A move.
     *
     * @param version the version that moved
     * @param reason why
     * @param requestId the request that showed it, or null
     * @param at when
     * @param message detail
     */
    public record Move(String version, Reason reason, String requestId, Instant at, String message) {
    }

    private final String route;
    private final EventLog log;
    private final Map<Reason, AtomicLong> counts = new EnumMap<>(Reason.class);
    private final AtomicLong failures = new AtomicLong();
    private volatile Move last;
    private volatile Reason routeWide;

    Escalations(String route, EventLog log) {
        this.route = route;
        this.log = log;
        for (Reason r : Reason.values()) {
            counts.put(r, new AtomicLong());
        }
    }

    void moved(String version, Reason reason, String requestId, String message) {
        counts.get(reason).incrementAndGet();
        last = new Move(version, reason, requestId, Instant.now(), message);
        RingfenceEvents.escalated(route, version, reason.text(), requestId, message);
        log.emit(log.line("escalated").put("route", route).put("version", version).put("reason", reason.text())
                .put("requestId", requestId).put("message", message));
    }

    void failed(String version, Reason reason, String why) {
        failures.incrementAndGet();
        log.emit(log.line("escalation-failed").put("route", route).put("version", version).put("reason", reason.text())
                .put("message", why));
    }

    /** From now on the route's versions start in a child. */
    void markRouteWide(Reason reason) {
        routeWide = reason;
    }

    /** Forgets the route-wide mark (the route's settings changed tier). */
    void clearRouteWide() {
        routeWide = null;
    }

    /** @return why the route's versions start in a child, or null when they start in-process */
    public Reason routeWide() {
        return routeWide;
    }

    /**
     * @param reason a reason
     * @return versions moved for it so far
     */
    public long count(Reason reason) {
        return counts.get(reason).get();
    }

    /** @return versions moved so far, whatever the reason */
    public long total() {
        long n = 0;
        for (AtomicLong c : counts.values()) {
            n += c.get();
        }
        return n;
    }

    /** @return moves that could not start a child (the version stayed in-process) */
    public long failures() {
        return failures.get();
    }

    /** @return the last move, or null */
    public Move last() {
        return last;
    }
}
