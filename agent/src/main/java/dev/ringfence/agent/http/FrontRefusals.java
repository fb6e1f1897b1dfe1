package dev.ringfence.agent.http;

import dev.ringfence.agent.pipeline.Route;
import dev.ringfence.agent.pipeline.RouteTable;
import dev.ringfence.api.Outcome;
import dev.ringfence.jfr.RingfenceEvents;
import java.util.concurrent.atomic.LongAdder;

/**
 * Requests the HTTP front answers itself, before any route's pipeline runs: {@code /fn/<name>}
 * naming no route (404 {@code NOT_FOUND}) and a body over the route's {@code maxBodyBytes} (413
 * {@code BODY_TOO_LARGE}). Each is recorded the way a route records its requests, so that every
 * request to {@code /fn/} leaves exactly one {@code ringfence.Invocation} event: its outcome is the
 * error code of the answer (the {@code X-Ringfence-Outcome} header; not a
 * {@link dev.ringfence.api.Outcome}, since no handler was asked), its version {@code -} for a 404
 * and the route's current one for a 413, no CPU, allocation or fuel.
 *
 * <p>Counts: a 413 goes to its route's stats ({@link dev.ringfence.agent.pipeline.RouteStats#recordBodyTooLarge});
 * a 404 to a server-wide count, since the name of an unknown route is whatever a caller wrote: it
 * is never a metric label, and in the event it is cut to {@value #MAX_ROUTE_CHARS} characters (a
 * real route's name is at most 64).
 *
 * <p>Thread-safe; recording is one {@link LongAdder} increment and, while JFR records, one event.
 */
public final class FrontRefusals {
    /** The error code and event outcome of a request naming no route. */
    public static final String NOT_FOUND = "NOT_FOUND";
    /** The error code and event outcome of a body over the route's bound. */
    public static final String BODY_TOO_LARGE = "BODY_TOO_LARGE";
    /** The longest route name an event carries for an unknown route. */
    public static final int MAX_ROUTE_CHARS = 64;

    private final LongAdder notFound = new LongAdder();

    /**
     * Records a request naming no route.
     *
     * @param name the route name as given (raw path segment)
     * @param requestId the request's id
     * @param wallNanos time from arrival to the answer
     * @param message the answer's message
     */
    public void notFound(String name, String requestId, long wallNanos, String message) {
        notFound.increment();
        String cut = cut(name);
        RingfenceEvents.invocation(cut, Route.NO_VERSION, requestId, NOT_FOUND, wallNanos, 0, 0, -1,
                cut.equals(name) ? message : "no route named " + cut);
    }

    /**
     * Records a request to a route whose body was over its {@code maxBodyBytes}.
     *
     * @param route the route
     * @param requestId the request's id
     * @param wallNanos time from arrival to the answer (reading the body up to its bound included)
     * @param message the answer's message
     */
    public void bodyTooLarge(Route route, String requestId, long wallNanos, String message) {
        route.stats().recordBodyTooLarge(wallNanos);
        String version = route.version();
        RingfenceEvents.invocation(route.name(), version == null ? Route.NO_VERSION : version, requestId,
                BODY_TOO_LARGE, wallNanos, 0, 0, -1, message);
    }

    /**
     * Records a request to {@code /fn/<name>} that the front answered itself, without the route's
     * pipeline: refused while the server drains ({@code REJECTED}), or failed in the front
     * ({@code ERROR}). Counted in the route's statistics when the route exists.
     *
     * @param routes the routes
     * @param name the route name as given
     * @param requestId the request's id
     * @param outcome how it ended
     * @param wallNanos time from arrival to the answer
     * @param message the answer's message
     */
    public void answeredByFront(RouteTable routes, String name, String requestId, Outcome outcome, long wallNanos,
            String message) {
        Route route = routes.get(name);
        String version = route == null ? null : route.version();
        if (route != null) {
            route.stats().record(outcome, wallNanos);
        }
        RingfenceEvents.invocation(cut(name), version == null ? Route.NO_VERSION : version, requestId, outcome.name(),
                wallNanos, 0, 0, -1, message);
    }

    /** @return requests that named no route */
    public long notFound() {
        return notFound.sum();
    }

    /**
     * @param name a route name as given
     * @return it, or its first {@value #MAX_ROUTE_CHARS} characters and an ellipsis
     */
    static String cut(String name) {
        return name.length() <= MAX_ROUTE_CHARS ? name : name.substring(0, MAX_ROUTE_CHARS) + "…";
    }
}
