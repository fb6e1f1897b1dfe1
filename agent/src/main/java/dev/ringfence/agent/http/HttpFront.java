package dev.ringfence.agent.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ringfence.agent.log.JsonText;
import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.agent.pipeline.Route;
import dev.ringfence.agent.pipeline.RouteSettings;
import dev.ringfence.agent.pipeline.RouteTable;
import dev.ringfence.api.Outcome;
import dev.ringfence.limiter.HandedOffException;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The HTTP front of a {@link RouteTable}, on the JDK's {@link HttpServer}.
 *
 * <ul>
 *   <li>{@code ANY /fn/<route>[/<rest>]}: the route's handler gets the method, {@code /<rest>}
 *       (decoded; {@code /} when empty), the headers (names lower-case), the query, the body, the
 *       caller's address and a request id ({@code X-Request-Id} when it is 1 to 128 visible ASCII
 *       characters, else a new UUID). {@code OK} answers the handler's status, headers and body;
 *       any other outcome answers {@code {"error":{"code":OUTCOME,"message":…,"requestId":…}}}
 *       with the outcome's status ({@link InvocationResult#statusOf}) and, for 503,
 *       {@code Retry-After}. An unknown route is 404 {@code NOT_FOUND}; a body over the route's
 *       {@code maxBodyBytes} is 413 {@code BODY_TOO_LARGE}, read no further than one byte past
 *       the bound. Both are recorded like a route's requests ({@link FrontRefusals}): one
 *       {@code ringfence.Invocation} event each, and a count.</li>
 *   <li>{@code GET /metrics}: {@link MetricsPage}; {@code GET /status}: {@link StatusPage}.</li>
 *   <li>Every response carries {@code X-Ringfence-Outcome} and {@code X-Request-Id}; route
 *       responses also {@code X-Ringfence-Version}.</li>
 * </ul>
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>Exchanges run on at most {@code threads} daemon threads ({@code ringfence-http-N}), made
 *       on demand and ended after 30 s idle; when all are busy the server's dispatcher waits for
 *       one (no unbounded queue). A request waiting in a route's queue holds its thread, so allow
 *       for every route's {@code maxInflight + maxQueue}.</li>
 *   <li>Nothing a handler returns is trusted as a header: names that are not HTTP tokens, values
 *       with control characters, and the headers the server owns ({@code Content-Length},
 *       {@code Transfer-Encoding}, {@code Connection}, the {@code X-Ringfence-*} ones) are
 *       dropped.</li>
 *   <li>{@link #drain} answers new requests 503 {@code REJECTED} with {@code Connection: close}
 *       while it waits, at most its bound, for the exchanges in flight; {@link #stop} then closes
 *       every connection.</li>
 * </ul>
 */
public final class HttpFront {
    /** The header naming the outcome. */
    public static final String OUTCOME_HEADER = "X-Ringfence-Outcome";
    /** The request id header, honoured and echoed. */
    public static final String REQUEST_ID_HEADER = "X-Request-Id";
    /** The header naming the handler version that answered. */
    public static final String VERSION_HEADER = "X-Ringfence-Version";

    private static final Pattern ROUTE_PATH = Pattern.compile("/fn/([^/?]+)(/.*)?");
    private static final Pattern REQUEST_ID = Pattern.compile("[\\x21-\\x7e]{1,128}");
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Set<String> OWN_HEADERS = Set.of("content-length", "transfer-encoding", "connection",
            "content-type", "x-request-id", "x-ringfence-outcome", "x-ringfence-version", "date");
    private static final String JSON = "application/json";
    private static final byte[] EMPTY = new byte[0];

    private final HttpServer server;
    private final ThreadPoolExecutor executor;
    private final RouteTable routes;
    private final MetricsPage metrics;
    private final StatusPage status;
    private final FrontRefusals refusals = new FrontRefusals();
    private final AtomicInteger active = new AtomicInteger();
    private final int threads;
    /** Threads still in handler code whose request was answered without them: the pool may make as many more. Guarded by itself. */
    private final AtomicInteger stuck = new AtomicInteger();
    private volatile boolean draining;

    private HttpFront(HttpServer server, ThreadPoolExecutor executor, RouteTable routes) {
        this.server = server;
        this.executor = executor;
        this.threads = executor.getMaximumPoolSize();
        this.routes = routes;
        this.metrics = new MetricsPage(routes, refusals);
        this.status = new StatusPage(routes);
    }

    /**
     * Binds and starts serving. The server's dispatcher thread inherits the calling thread's
     * daemon status: start it from a daemon thread when it must not keep the JVM alive.
     *
     * @param bind the address and port (0 for any free one)
     * @param threads worker threads, at least 1
     * @param routes the routes to serve
     * @return the running front
     * @throws IOException when the address cannot be bound
     */
    public static HttpFront start(InetSocketAddress bind, int threads, RouteTable routes) throws IOException {
        HttpServer server = HttpServer.create(bind, 128);
        // threads are made when no idle one takes the exchange, up to the bound, and end after 30 s idle;
        // beyond the bound the dispatcher waits for a free thread (back-pressure) rather than drop it.
        // They are host threads of the routes' executor: handlers run on them in place (no hand-off)
        ThreadPoolExecutor executor = new ThreadPoolExecutor(0, threads, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                routes.runtime().hostThreads("ringfence-http-"), (r, pool) -> {
                    if (pool.isShutdown()) {
                        throw new RejectedExecutionException("the HTTP front is stopped");
                    }
                    try {
                        pool.getQueue().put(r);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new RejectedExecutionException("interrupted while waiting for a free thread", e);
                    }
                });
        HttpFront front = new HttpFront(server, executor, routes);
        server.createContext("/", front::handle);
        server.setExecutor(executor);
        server.start();
        return front;
    }

    /** @return the address it listens on (the real port when 0 was asked for) */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** @return exchanges being handled now */
    public int activeExchanges() {
        return active.get();
    }

    private void handle(HttpExchange ex) {
        active.incrementAndGet();
        long arrived = System.nanoTime();
        String requestId = requestId(ex.getRequestHeaders().getFirst(REQUEST_ID_HEADER));
        boolean handedOff = false;
        String path = ex.getRequestURI().getRawPath();
        java.util.regex.Matcher m = ROUTE_PATH.matcher(path == null ? "" : path);
        String route = m.matches() ? m.group(1) : null;
        boolean[] recorded = new boolean[1];
        try {
            if (draining) {
                String message = "the server is shutting down";
                if (route != null) {
                    refusals.answeredByFront(routes, route, requestId, Outcome.REJECTED, System.nanoTime() - arrived, message);
                }
                ex.getResponseHeaders().set("Connection", "close");
                ex.getResponseHeaders().set("Retry-After", "1");
                error(ex, 503, Outcome.REJECTED.name(), message, requestId);
                return;
            }
            if (route != null) {
                serveRoute(ex, route, requestId, recorded);
            } else if (path.equals("/metrics") && readOnly(ex)) {
                page(ex, PrometheusText.CONTENT_TYPE, metrics.render(), requestId);
            } else if (path.equals("/status") && readOnly(ex)) {
                page(ex, JSON, status.render(), requestId);
            } else {
                error(ex, 404, "NOT_FOUND", "nothing at " + path + ": routes are at /fn/<route>; see /status and /metrics",
                        requestId);
            }
        } catch (HandedOffException e) {
            // the request was answered on another thread at its trip (see answerElsewhere) while
            // this one was still in the handler; it has just come back
            handedOff = true;
            unstuck();
        } catch (IOException e) {
            // the caller went away
        } catch (RuntimeException | Error e) {
            String message = "the server failed: " + e;
            if (route != null && !recorded[0]) {
                refusals.answeredByFront(routes, route, requestId, Outcome.ERROR, System.nanoTime() - arrived, message);
            }
            try {
                error(ex, 500, Outcome.ERROR.name(), message, requestId);
            } catch (IOException | RuntimeException ignored) {
                // headers were sent already: the connection is closed below
            }
        } finally {
            if (!handedOff) {
                ex.close();
                active.decrementAndGet();
            }
        }
    }

    /**
     * Answers a request whose handler thread (one of this front's) had not stopped a moment after
     * its deadline or budget tripped: on the watchdog's answering thread, while the late (or
     * stuck) one keeps its pool slot; the pool may grow by one thread until it comes back.
     */
    private void answerElsewhere(HttpExchange ex, Route route, InvocationResult r, String requestId) {
        stuck();
        try {
            respond(ex, route, r, requestId);
        } catch (IOException | RuntimeException e) {
            // the caller went away, or headers were sent already
        } finally {
            ex.close();
            active.decrementAndGet();
        }
    }

    private void stuck() {
        synchronized (stuck) {
            executor.setMaximumPoolSize(threads + stuck.incrementAndGet());
        }
    }

    private void unstuck() {
        synchronized (stuck) {
            executor.setMaximumPoolSize(threads + Math.max(0, stuck.decrementAndGet()));
        }
    }

    private static boolean readOnly(HttpExchange ex) {
        String m = ex.getRequestMethod();
        return m.equals("GET") || m.equals("HEAD");
    }

    /** {@code recorded[0]} is set once the request has its one Invocation event (or the route's pipeline will record it). */
    private void serveRoute(HttpExchange ex, String name, String requestId, boolean[] recorded) throws IOException {
        long start = System.nanoTime();
        Route route = routes.get(name);
        if (route == null) {
            String message = "no route named " + name;
            recorded[0] = true;
            refusals.notFound(name, requestId, System.nanoTime() - start, message);
            error(ex, 404, FrontRefusals.NOT_FOUND, message, requestId);
            return;
        }
        long max = route.maxBodyBytes(); // no version yet: 1 MiB, the answer is an error anyway
        byte[] body = readBody(ex, max);
        if (body == null) {
            String message = "the body is larger than route " + name + "'s maxBodyBytes of " + max + " bytes";
            recorded[0] = true;
            refusals.bodyTooLarge(route, requestId, System.nanoTime() - start, message);
            ex.getResponseHeaders().set("Connection", "close");
            error(ex, 413, FrontRefusals.BODY_TOO_LARGE, message, requestId);
            return;
        }
        Thread here = Thread.currentThread();
        IOException[] failed = new IOException[1];
        Request request = request(ex, name, requestId, body);
        recorded[0] = true; // from here the route records the request, whatever happens
        route.invoke(request, r -> {
            if (Thread.currentThread() != here) {
                answerElsewhere(ex, route, r, requestId);
                return;
            }
            try {
                respond(ex, route, r, requestId);
            } catch (IOException e) {
                failed[0] = e;
            }
        });
        if (failed[0] != null) {
            throw failed[0];
        }
    }

    private void respond(HttpExchange ex, Route route, InvocationResult r, String requestId) throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set(VERSION_HEADER, r.version());
        Response resp = r.response();
        if (resp != null) {
            for (Map.Entry<String, String> e : resp.headers().entrySet()) {
                String n = e.getKey();
                String v = e.getValue();
                if (TOKEN.matcher(n).matches() && !OWN_HEADERS.contains(n.toLowerCase(Locale.ROOT)) && visible(v)) {
                    h.add(n, v);
                }
            }
            String type = visible(resp.contentType()) ? resp.contentType() : "application/octet-stream";
            send(ex, resp.status(), type, resp.body(), r.outcome().name(), requestId);
            return;
        }
        int status = InvocationResult.statusOf(r.outcome());
        if (status == 503) {
            h.set("Retry-After", Long.toString(route.retryAfterSeconds(r.outcome())));
        }
        error(ex, status, r.outcome().name(), r.message() == null ? r.outcome().name() : r.message(), requestId);
    }

    private static Request request(HttpExchange ex, String route, String requestId, byte[] body) {
        URI uri = ex.getRequestURI();
        String decoded = uri.getPath() == null ? "" : uri.getPath();
        String prefix = "/fn/" + route;
        String rest = decoded.startsWith(prefix) ? decoded.substring(prefix.length()) : "/";
        Request.Builder b = Request.builder(requestId).method(ex.getRequestMethod()).path(rest.isEmpty() ? "/" : rest)
                .body(body).remoteAddress(address(ex.getRemoteAddress()));
        for (Map.Entry<String, List<String>> e : ex.getRequestHeaders().entrySet()) {
            for (String v : e.getValue()) {
                b.header(e.getKey(), v);
            }
        }
        String q = uri.getRawQuery();
        if (q != null && !q.isEmpty()) {
            for (String pair : q.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String k = eq < 0 ? pair : pair.substring(0, eq);
                String v = eq < 0 ? "" : pair.substring(eq + 1);
                b.query(decode(k), decode(v));
            }
        }
        return b.build();
    }

    private static String decode(String s) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
            return s; // nothing to decode: the common case, without URLDecoder's copy
        }
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s; // a malformed escape: pass it on as written
        }
    }

    private static String address(InetSocketAddress a) {
        if (a == null) {
            return "unknown";
        }
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** Reads the body, or returns null as soon as it is known to be longer than {@code max}. */
    private static byte[] readBody(HttpExchange ex, long max) throws IOException {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > max) {
                    return null;
                }
            } catch (NumberFormatException e) {
                return null;
            }
        }
        if ((length == null || length.trim().equals("0")) && !ex.getRequestHeaders().containsKey("Transfer-Encoding")) {
            return EMPTY; // no body (RFC 9112 6.3): nothing to read, no buffer to allocate
        }
        try (InputStream in = ex.getRequestBody()) {
            byte[] body = in.readNBytes((int) Math.min(max + 1, RouteSettings.MAX_BODY_LIMIT));
            return body.length > max ? null : body;
        }
    }

    /**
     * The caller's id when it is acceptable, else a new random (version 4) UUID. Request ids name
     * requests in logs and events; they are not secrets, so they come from
     * {@link ThreadLocalRandom}: {@link UUID#randomUUID()} draws on {@code SecureRandom}, which
     * cost a third of the front's CPU under load.
     */
    static String requestId(String given) {
        if (given != null && REQUEST_ID.matcher(given).matches()) {
            return given;
        }
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long msb = (r.nextLong() & ~0xf000L) | 0x4000L; // version 4
        long lsb = (r.nextLong() & ~(0xc000_0000_0000_0000L)) | 0x8000_0000_0000_0000L; // IETF variant
        return new UUID(msb, lsb).toString();
    }

    private static boolean visible(String v) {
        if (v == null) {
            return false;
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static void page(HttpExchange ex, String type, String text, String requestId) throws IOException {
        send(ex, 200, type, text.getBytes(StandardCharsets.UTF_8), Outcome.OK.name(), requestId);
    }

    private static void error(HttpExchange ex, int status, String code, String message, String requestId) throws IOException {
        JsonText body = new JsonText().put("error",
                new JsonText().put("code", code).put("message", message).put("requestId", requestId));
        send(ex, status, JSON, (body + "\n").getBytes(StandardCharsets.UTF_8), code, requestId);
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body, String outcome, String requestId)
            throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set(OUTCOME_HEADER, outcome);
        h.set(REQUEST_ID_HEADER, requestId);
        h.set("Content-Type", type);
        boolean noBody = ex.getRequestMethod().equals("HEAD") || status == 204 || status == 304 || status < 200;
        if (noBody || body.length == 0) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    /**
     * Stops taking requests: from now on they are answered 503 {@code REJECTED}; waits until the
     * exchanges in flight have ended or the bound has passed.
     *
     * @param boundNanos the longest wait
     * @return whether every exchange ended within the bound
     */
    public boolean drain(long boundNanos) {
        draining = true;
        long end = System.nanoTime() + boundNanos;
        while (active.get() > 0) {
            if (System.nanoTime() - end >= 0) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** Closes the listener and every connection, and stops the worker threads. */
    public void stop() {
        draining = true;
        server.stop(0);
        executor.shutdownNow();
    }
}
