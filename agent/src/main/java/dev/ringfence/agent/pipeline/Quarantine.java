package dev.ringfence.agent.pipeline;

import dev.ringfence.api.Outcome;
import java.time.Instant;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One route's quarantine of a handler version whose handler threads did not stop.
 *
 * <p>A handler thread that is still running a grace after its trip (stuck where no tick or
 * interrupt reaches it) is abandoned: it keeps its CPU and memory until its work ends, if ever.
 * After {@code quarantine.after} such threads (1 by default) the version that ran them is
 * quarantined: until the process tier, where such a version belongs and a supervisor can kill,
 * exists, it <em>stops running in-process</em>. Every further call would risk another stuck
 * thread, so requests to it end {@code CIRCUIT_OPEN} at once, as under an open breaker (503 with
 * {@code Retry-After}, or the route's fallback response), with a message naming the quarantine and
 * why. It is lifted when a new version loads (a classpath with other content: a version is its
 * content hash), when {@code quarantine.for} has passed since it began (when set; the route's
 * current settings count, so shortening it lifts a quarantine sooner), or when the route's
 * settings turn quarantines off ({@code quarantine.after=0}).
 *
 * <p>Its subject is the version, not the route: settings changes, scale-to-zero (a parked version
 * woken with the same content is the same version) and reloads of identical content keep it.
 * A quarantined route does not wake from scale-to-zero: its requests are refused before a
 * version is needed.
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>{@link #refusal} is on every request's path: while no quarantine is in force it reads one
 *       volatile field, takes no lock and allocates nothing.</li>
 *   <li>{@link #track}, {@link #abandoned} and lifting are serialised by this object's lock; the
 *       {@link Listener} hears every quarantine and lift in order, on the thread that caused it,
 *       while that lock is held: it must be quick and must not call back.</li>
 *   <li>A quarantine that {@code quarantine.for} or the settings end is lifted lazily, by the
 *       next request or read ({@link #refusal}, {@link #status}, {@link #retryAfterNanos}).</li>
 *   <li>Times come from the injected clock (nanoseconds, compared by subtraction); the instants
 *       it reports ({@link Status#since()}, {@link Status#releaseAt()}) are wall-clock readings for
 *       people.</li>
 *   <li>Abandoned threads of a version other than the tracked one (an older version, still
 *       finishing requests after a reload) never quarantine the tracked one.</li>
 * </ul>
 */
public final class Quarantine {
    /** Hears quarantines begin and end. */
    public interface Listener {
        /**
         * A version was quarantined.
         *
         * @param status the quarantine
         * @param releaseAfterNanos how long it lasts, 0 until a new version loads
         */
        void quarantined(Status status, long releaseAfterNanos);

        /**
         * A quarantine was lifted.
         *
         * @param status the quarantine that ended
         * @param why why it ended
         */
        void lifted(Status status, String why);
    }

    /**
     * A quarantine in force.
     *
     * @param version the quarantined version's short id
     * @param since when it began
     * @param requestId the request whose abandoned thread began it
     * @param outcome how that request ended
     * @param abandonedThreads abandoned threads of the version that began it
     * @param reason why, one line
     * @param releaseAt when it ends by itself ({@code quarantine.for}), or null: when a new version loads
     */
    public record Status(String version, Instant since, String requestId, Outcome outcome, long abandonedThreads,
            String reason, Instant releaseAt) {
    }

    /** A quarantine in force: its status without a release time, and when it began on the clock. */
    private record Held(Status status, long sinceNanos) {
    }

    private final String route;
    private final LongSupplier clock;
    private final Supplier<RouteSettings> settings;
    private final Listener listener;
    private volatile Held held;
    private volatile long quarantines;
    /** The version abandoned threads are counted for; guarded by this. */
    private String version;
    /** Its abandoned threads since it loaded or its last quarantine ended; guarded by this. */
    private long abandoned;

    /**
     * @param route the route's name (named in messages)
     * @param clock nanoseconds
     * @param settings the route's settings in force (null before its first version)
     * @param listener hears quarantines begin and end
     */
    public Quarantine(String route, LongSupplier clock, Supplier<RouteSettings> settings, Listener listener) {
        this.route = Objects.requireNonNull(route, "route");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Names the route's version now. A version other than the tracked one lifts the quarantine in
     * force and starts counting afresh; the same one (a reload of identical content, a wake from
     * scale-to-zero) changes nothing.
     *
     * @param shortId the short id of the version serving now
     */
    public synchronized void track(String shortId) {
        if (Objects.equals(shortId, version)) {
            return;
        }
        Held h = held;
        if (h != null) {
            lift(h, "version " + shortId + " loaded");
        }
        version = shortId;
        abandoned = 0;
    }

    /**
     * Counts an attempt whose handler thread was abandoned, and quarantines its version when that
     * makes {@code quarantine.after}.
     *
     * @param r the attempt's result ({@link InvocationResult#abandoned()} true; its version is the one that ran)
     * @return whether this quarantined the version
     */
    public synchronized boolean abandoned(InvocationResult r) {
        RouteSettings s = settings.get();
        if (!r.abandoned() || !r.version().equals(version) || current(s) != null) {
            return false;
        }
        abandoned++;
        RouteSettings.QuarantineSettings q = s == null ? RouteSettings.QuarantineSettings.NEVER : s.quarantine();
        if (!q.enabled() || abandoned < q.after()) {
            return false;
        }
        Instant now = Instant.now();
        String reason = (abandoned == 1 ? "" : abandoned + " handler threads of version " + version
                + " were abandoned, the last when ") + "request " + r.requestId() + " ended " + r.outcome()
                + (abandoned == 1 ? " and its handler thread did not stop (abandoned)" : "");
        Status st = new Status(version, now, r.requestId(), r.outcome(), abandoned, reason,
                q.forNanos() == 0 ? null : now.plusNanos(q.forNanos()));
        held = new Held(st, clock.getAsLong());
        quarantines++;
        abandoned = 0;
        listener.quarantined(st, q.forNanos());
        return true;
    }

    /**
     * The answer to a request while the version is quarantined.
     *
     * @param requestId the request's id
     * @return a {@code CIRCUIT_OPEN} result (with the route's fallback response when it has one),
     *     or null when no quarantine is in force
     */
    public InvocationResult refusal(String requestId) {
        if (held == null) {
            return null;
        }
        RouteSettings s = settings.get();
        Status st = status(s);
        if (st == null) {
            return null;
        }
        RouteSettings.Fallback f = s == null ? null : s.fallback();
        return InvocationResult.refused(requestId, Outcome.CIRCUIT_OPEN, f == null ? null : f.response(),
                message(st), 0, st.version());
    }

    /** @return the quarantine in force now, or null */
    public Status status() {
        return held == null ? null : status(settings.get());
    }

    /** @return whether a quarantine is in force now */
    public boolean quarantined() {
        return status() != null;
    }

    /** @return quarantines begun so far, on every version of the route */
    public long quarantines() {
        return quarantines;
    }

    /**
     * @return nanoseconds until the quarantine in force ends by itself; the breaker's
     *     {@code openFor} when it lasts until a new version; -1 when none is in force
     */
    public long retryAfterNanos() {
        RouteSettings s = settings.get();
        Held h = held == null || s == null ? null : current(s);
        if (h == null) {
            return -1;
        }
        long forNanos = s.quarantine().forNanos();
        return forNanos == 0 ? s.breaker().openForNanos()
                : Math.max(0, forNanos - (clock.getAsLong() - h.sinceNanos()));
    }

    private Status status(RouteSettings s) {
        Held h = current(s);
        if (h == null || s == null) {
            return h == null ? null : h.status();
        }
        long forNanos = s.quarantine().forNanos();
        Status st = h.status();
        Instant release = forNanos == 0 ? null : st.since().plusNanos(forNanos);
        return Objects.equals(release, st.releaseAt()) ? st : new Status(st.version(), st.since(), st.requestId(),
                st.outcome(), st.abandonedThreads(), st.reason(), release);
    }

    /** The quarantine in force under these settings, lifting it first when they say it is over. */
    private Held current(RouteSettings s) {
        Held h = held;
        if (h == null) {
            return null;
        }
        String over = s == null ? null : over(h, s.quarantine());
        if (over == null) {
            return h;
        }
        synchronized (this) {
            if (held == h) {
                lift(h, over);
            }
        }
        return null;
    }

    private String over(Held h, RouteSettings.QuarantineSettings q) {
        if (!q.enabled()) {
            return "quarantine.after is 0";
        }
        if (q.forNanos() > 0 && clock.getAsLong() - h.sinceNanos() >= q.forNanos()) {
            return "quarantine.for of " + q.forNanos() / 1_000_000 + " ms passed";
        }
        return null;
    }

    /** Ends a quarantine; the caller holds the lock. */
    private void lift(Held h, String why) {
        held = null;
        abandoned = 0;
        listener.lifted(h.status(), why);
    }

    private String message(Status st) {
        return "version " + st.version() + " of route " + route + " is quarantined since " + st.since() + ": "
                + st.reason() + "; it runs again when a new version loads"
                + (st.releaseAt() == null ? "" : " or at " + st.releaseAt());
    }
}
