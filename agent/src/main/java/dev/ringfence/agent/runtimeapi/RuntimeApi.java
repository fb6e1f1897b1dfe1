package dev.ringfence.agent.runtimeapi;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.ringfence.agent.log.JsonText;
import dev.ringfence.api.Outcome;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The Lambda runtime API, version {@code 2018-06-01}, as one environment's bootstrap sees it.
 *
 * <table>
 *   <caption>Paths (below {@code /2018-06-01/runtime}) and answers</caption>
 *   <tr><th>call</th><th>answer</th></tr>
 *   <tr><td>{@code GET /invocation/next}</td><td>long poll; 200 with the event and the headers
 *       {@code Lambda-Runtime-Aws-Request-Id}, {@code Lambda-Runtime-Deadline-Ms},
 *       {@code Lambda-Runtime-Invoked-Function-Arn}, {@code Lambda-Runtime-Trace-Id}; 403
 *       {@code InvalidStateTransition} while another {@code /next} of the same bootstrap waits; 500
 *       {@code ContainerError} when the bootstrap is being replaced (it should exit)</td></tr>
 *   <tr><td>{@code POST /invocation/{id}/response}</td><td>202 {@code {"status":"OK"}}; 400
 *       {@code InvalidRequestID} for an id this bootstrap does not hold (unknown, answered, or past its
 *       deadline); 413 {@code RequestEntityTooLarge} past 6 MiB (the invocation then ends
 *       {@code ERROR})</td></tr>
 *   <tr><td>{@code POST /invocation/{id}/error}</td><td>202; the invocation ends {@code ERROR} with the
 *       type from {@code Lambda-Runtime-Function-Error-Type} (else the body's {@code errorType}) and the
 *       body's {@code errorMessage}; 400 as above</td></tr>
 *   <tr><td>{@code POST /init/error}</td><td>202, then the bootstrap is killed and started again
 *       after a backoff; 403 {@code InvalidStateTransition} once it has asked for work</td></tr>
 *   <tr><td>anything else</td><td>404 {@code InvalidRequest} for an unknown path, 405
 *       {@code MethodNotAllowed} for a known path with the wrong method</td></tr>
 * </table>
 *
 * <p>Every error answer is JSON, {@code {"errorMessage":…,"errorType":…}}. Called on the
 * environment's own server threads.
 */
final class RuntimeApi implements HttpHandler {
    /** The largest response or error a function may post: Lambda's synchronous payload limit. */
    static final int MAX_PAYLOAD = 6 << 20;
    private static final String PREFIX = "/2018-06-01/runtime/";
    private static final String INVOCATION = PREFIX + "invocation/";

    private final Environment env;

    RuntimeApi(Environment env) {
        this.env = env;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            if (path.equals(INVOCATION + "next")) {
                if (method.equals("GET")) {
                    next(ex);
                } else {
                    error(ex, 405, "MethodNotAllowed", method + " " + path + ": use GET");
                }
            } else if (path.equals(PREFIX + "init/error")) {
                if (!method.equals("POST")) {
                    error(ex, 405, "MethodNotAllowed", method + " " + path + ": use POST");
                } else if (env.initError(errorText(ex, read(ex, MAX_PAYLOAD)))) {
                    accepted(ex);
                } else {
                    error(ex, 403, "InvalidStateTransition", "the runtime has already initialised");
                }
            } else if (path.startsWith(INVOCATION) && (path.endsWith("/response") || path.endsWith("/error"))) {
                String id = path.substring(INVOCATION.length(), path.lastIndexOf('/'));
                if (!method.equals("POST")) {
                    error(ex, 405, "MethodNotAllowed", method + " " + path + ": use POST");
                } else {
                    answer(ex, id, path.endsWith("/response"));
                }
            } else {
                error(ex, 404, "InvalidRequest", "no such path in the runtime API: " + path);
            }
        } finally {
            ex.close();
        }
    }

    private void next(HttpExchange ex) throws IOException {
        Invocation inv;
        try {
            inv = env.next();
        } catch (IllegalStateException e) {
            error(ex, 403, "InvalidStateTransition", e.getMessage());
            return;
        } catch (InterruptedException e) {
            inv = null;
        }
        if (inv == null) {
            error(ex, 500, "ContainerError", "the runtime is being replaced or stopped: exit");
            return;
        }
        ex.getResponseHeaders().set("Lambda-Runtime-Aws-Request-Id", inv.awsRequestId);
        ex.getResponseHeaders().set("Lambda-Runtime-Deadline-Ms", Long.toString(inv.deadlineEpochMillis));
        ex.getResponseHeaders().set("Lambda-Runtime-Invoked-Function-Arn", env.functionArn());
        ex.getResponseHeaders().set("Lambda-Runtime-Trace-Id", inv.traceId);
        send(ex, 200, inv.event);
    }

    private void answer(HttpExchange ex, String id, boolean response) throws IOException {
        Invocation inv = env.holding(id);
        if (inv == null) {
            error(ex, 400, "InvalidRequestID", "Invalid request ID: " + id
                    + " is not an invocation this runtime holds (unknown, answered, or past its deadline)");
            return;
        }
        byte[] body = read(ex, MAX_PAYLOAD);
        Invocation.Answer a;
        if (body == null) {
            a = new Invocation.Answer(Outcome.ERROR, null, "Function.ResponseSizeTooLarge: the function posted more than "
                    + MAX_PAYLOAD + " bytes");
        } else if (response) {
            try {
                a = new Invocation.Answer(Outcome.OK, ProxyResult.toResponse(body), null);
            } catch (IllegalArgumentException e) {
                a = new Invocation.Answer(Outcome.ERROR, null, "the function's result is malformed: " + e.getMessage());
            }
        } else {
            String type = ex.getRequestHeaders().getFirst("Lambda-Runtime-Function-Error-Type");
            a = new Invocation.Answer(Outcome.ERROR, null, "the function failed: " + errorText(type, body));
        }
        env.release(inv);
        inv.answer(a);
        if (body == null) {
            error(ex, 413, "RequestEntityTooLarge", "the payload is larger than " + MAX_PAYLOAD + " bytes");
        } else {
            accepted(ex);
        }
    }

    /** {@code type: message} from an error's header and body ({@code {"errorMessage":…,"errorType":…}}). */
    private static String errorText(HttpExchange ex, byte[] body) {
        return errorText(ex.getRequestHeaders().getFirst("Lambda-Runtime-Function-Error-Type"), body);
    }

    static String errorText(String headerType, byte[] body) {
        String type = headerType;
        String message = null;
        if (body != null && body.length > 0) {
            String text = new String(body, StandardCharsets.UTF_8);
            try {
                Object o = JsonReader.parse(text);
                if (o instanceof Map) {
                    Object t = ((Map<?, ?>) o).get("errorType");
                    Object m = ((Map<?, ?>) o).get("errorMessage");
                    type = type == null || type.isBlank() ? (t instanceof String ? (String) t : null) : type;
                    message = m instanceof String ? (String) m : null;
                }
            } catch (JsonReader.JsonException e) {
                message = text.length() > 1024 ? text.substring(0, 1024) + "…" : text;
            }
        }
        return (type == null || type.isBlank() ? "Unhandled" : type) + (message == null ? "" : ": " + message);
    }

    /** @return the body, or null when it is larger than {@code max} */
    private static byte[] read(HttpExchange ex, int max) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes(max);
            return in.read() < 0 ? b : null;
        }
    }

    private static void accepted(HttpExchange ex) throws IOException {
        send(ex, 202, "{\"status\":\"OK\"}".getBytes(StandardCharsets.UTF_8));
    }

    private static void error(HttpExchange ex, int status, String type, String message) throws IOException {
        String json = new JsonText().put("errorMessage", message).put("errorType", type).toString();
        send(ex, status, json.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
