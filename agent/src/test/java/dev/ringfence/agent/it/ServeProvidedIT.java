package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.runtimeapi.JsonReader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code serve DIR} with {@code runtime=provided} routes, in a forked JVM over real HTTP on loopback:
 * each route's handler is a bash {@code bootstrap} written here, speaking the Lambda runtime API with
 * curl, run as child processes of the serve.process().
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@SuppressWarnings("unchecked") // the events' parsed JSON objects, read as maps
class ServeProvidedIT {
    private static final long LONG = TimeUnit.SECONDS.toNanos(60);

    private static Path dir;
    private static ForkedServe serve;
    private static Path marks;

    /**
     * A bash bootstrap: records its pid in {@code marks/<route>-<pid>}, then for each invocation
     * sets {@code $event} and {@code $id} (and {@code $deadline}, {@code $arn}, {@code $trace}) and
     * runs {@code function}, which answers with {@code respond JSON} or {@code fail TYPE JSON}.
     */
    private static String bootstrap(String route, String function) {
        return "#!/bin/bash\n"
                + "api=\"http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime\"\n"
                + "echo $$ > '" + marks + "'/" + route + "-$$\n"
                + "hdr() { printf '%s\\n' \"$head\" | tr -d '\\r' | sed -n \"s/^$1: //Ip\"; }\n"
                + "respond() { curl -sS -o /dev/null -X POST \"$api/invocation/$id/response\" --data-binary \"$1\"; }\n"
                + "fail() { curl -sS -o /dev/null -X POST -H \"Lambda-Runtime-Function-Error-Type: $1\""
                + " \"$api/invocation/$id/error\" --data-binary \"$2\"; }\n"
                + "while true; do\n"
                + "  resp=$(curl -sS -i \"$api/invocation/next\") || exit 1\n"
                + "  head=${resp%%$'\\r\\n\\r\\n'*}; event=${resp#*$'\\r\\n\\r\\n'}\n"
                + "  id=$(hdr lambda-runtime-aws-request-id); deadline=$(hdr lambda-runtime-deadline-ms)\n"
                + "  arn=$(hdr lambda-runtime-invoked-function-arn); trace=$(hdr lambda-runtime-trace-id)\n"
                + function + "\n"
                + "done\n";
    }

    private static void route(String name, String settings, String function) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(name));
        Path b = folder.resolve("bootstrap");
        Files.writeString(b, bootstrap(name, function));
        Files.setPosixFilePermissions(b, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(folder.resolve("route.properties"), "runtime=provided\n" + settings);
    }

    @BeforeAll
    static void startServer() throws Exception {
        dir = Files.createTempDirectory("ringfence-serve-provided-it");
        marks = Files.createTempDirectory("ringfence-provided-marks").toRealPath();
        route("raw", "pool.min=1\npool.max=1\n", "  respond \"$event\"");
        route("env", "handler=index.handler\nmemory=64m\npool.min=1\npool.max=1\n",
                "  respond \"{\\\"statusCode\\\":201,\\\"headers\\\":{\\\"content-type\\\":\\\"text/plain\\\","
                + "\\\"x-function\\\":\\\"$AWS_LAMBDA_FUNCTION_NAME\\\",\\\"x-version\\\":\\\"$AWS_LAMBDA_FUNCTION_VERSION\\\","
                + "\\\"x-memory\\\":\\\"$AWS_LAMBDA_FUNCTION_MEMORY_SIZE\\\",\\\"x-handler\\\":\\\"$_HANDLER\\\","
                + "\\\"x-root\\\":\\\"$LAMBDA_TASK_ROOT\\\",\\\"x-region\\\":\\\"$AWS_REGION/$AWS_DEFAULT_REGION\\\","
                + "\\\"x-api\\\":\\\"$AWS_LAMBDA_RUNTIME_API\\\",\\\"x-limit-kb\\\":\\\"$(ulimit -v)\\\","
                + "\\\"x-deadline\\\":\\\"$deadline\\\",\\\"x-arn\\\":\\\"$arn\\\",\\\"x-trace\\\":\\\"$trace\\\","
                + "\\\"x-id\\\":\\\"$id\\\",\\\"x-home-secret\\\":\\\"${RINGFENCE_IT_SECRET:-unset}\\\"},"
                + "\\\"body\\\":\\\"created\\\",\\\"cookies\\\":[\\\"flavour=oat\\\"]}\"");
        route("fails", "retry.max=0\nbreaker.failures=1000\n",
                "  fail Function.Boom '{\"errorMessage\":\"it broke on purpose\",\"errorType\":\"BoomError\"}'");
        route("slow", "timeout=3s\nretry.max=0\nbreaker.failures=1000\npool.min=1\npool.max=1\n",
                "  if [[ \"$event\" == *'\"body\":\"sleep\"'* ]]; then sleep 37 & echo $! > '" + marks + "'/sleeper; wait; fi\n"
                + "  respond \"{\\\"statusCode\\\":200,\\\"body\\\":\\\"$$\\\"}\"");
        route("exits", "retry.max=0\nbreaker.failures=1000\npool.min=1\npool.max=1\n",
                "  if [[ \"$event\" == *'\"body\":\"exit\"'* ]]; then exit 3; fi\n"
                + "  respond \"{\\\"statusCode\\\":200,\\\"body\\\":\\\"$$\\\"}\"");
        route("wide", "pool.min=3\npool.max=3\ntimeout=60s\n",
                "  touch '" + marks + "'/held-$$\n"
                + "  while [ ! -f '" + marks + "'/go ]; do sleep 0.05; done\n"
                + "  respond \"{\\\"statusCode\\\":200,\\\"body\\\":\\\"$$\\\"}\"");
        route("lazy", "idle=1s\npool.min=1\n", "  respond \"{\\\"statusCode\\\":200,\\\"body\\\":\\\"$$\\\"}\"");
        route("initfails", "", "  :");
        Files.writeString(dir.resolve("initfails").resolve("bootstrap"), "#!/bin/bash\n"
                + "curl -sS -X POST \"http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/init/error\""
                + " -H 'Lambda-Runtime-Function-Error-Type: Runtime.NoConfig'"
                + " --data-binary '{\"errorMessage\":\"no configuration found\",\"errorType\":\"ConfigError\"}'\n"
                + "sleep 30\n");
        route("removed", "pool.min=2\npool.max=2\n", "  respond ok");
        route("hangs", "timeout=3s\nretry.max=0\nbreaker.failures=1000\npool.min=1\npool.max=1\n",
                "  respond \"{\\\"statusCode\\\":200,\\\"body\\\":\\\"$$\\\"}\"\n"
                + "  if [[ \"$event\" == *'\"body\":\"hang\"'* ]]; then sleep 37; fi");
        serve = ForkedServe.start(dir, Map.of("RINGFENCE_IT_SECRET", "not for bootstraps"));
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (serve != null) {
            serve.close();
        }
        ForkedServe.deleteTrees(dir, marks);
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return serve.send(serve.request(path).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** The pids of every bootstrap a route has started, from their marks. */
    private static Set<Long> started(String route) throws IOException {
        Set<Long> pids = new HashSet<>();
        try (Stream<Path> s = Files.list(marks)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith(route + "-")) {
                    pids.add(Long.parseLong(n.substring(route.length() + 1)));
                }
            }
        }
        return pids;
    }

    /** Waits, within a bound, for a process to be gone (a killed one is reaped by the server soon after). */
    private static void awaitGone(long pid) throws InterruptedException {
        long until = System.nanoTime() + LONG;
        while (!gone(pid) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
    }

    private static boolean gone(long pid) {
        return ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
    }

    private static Map<String, Object> json(String text) throws Exception {
        return (Map<String, Object>) JsonReader.parse(text);
    }

    @Test
    @Order(1)
    void shouldPassTheRequestAsAnHttpApiEventAndAnswerWithTheResultAsTheBody() throws Exception {
        HttpResponse<String> r = serve.send(serve.request("/fn/raw/orders/7?size=2&tag=a&tag=b")
                .header("Content-Type", "application/json").header("Cookie", "a=1; b=2").header("X-Custom", "yes")
                .POST(HttpRequest.BodyPublishers.ofString("{\"n\":\"\\u00e9\"}")));

        assertEquals(200, r.statusCode(), r.body());
        assertEquals("OK", ForkedServe.outcome(r));
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(null));
        Map<String, Object> e = json(r.body());
        assertEquals("2.0", e.get("version"));
        assertEquals("$default", e.get("routeKey"));
        assertEquals("/orders/7", e.get("rawPath"));
        assertEquals("size=2&tag=a&tag=b", e.get("rawQueryString"));
        assertEquals(Map.of("size", "2", "tag", "a,b"), e.get("queryStringParameters"));
        assertEquals(List.of("a=1", "b=2"), e.get("cookies"));
        Map<String, Object> headers = (Map<String, Object>) e.get("headers");
        assertEquals("yes", headers.get("x-custom"));
        assertFalse(headers.containsKey("cookie"), "cookies move out of the headers");
        assertEquals("{\"n\":\"\\u00e9\"}", e.get("body"));
        assertEquals(Boolean.FALSE, e.get("isBase64Encoded"));
        Map<String, Object> ctx = (Map<String, Object>) e.get("requestContext");
        Map<String, Object> http = (Map<String, Object>) ctx.get("http");
        assertEquals("POST", http.get("method"));
        assertEquals("/orders/7", http.get("path"));
        assertEquals("127.0.0.1", http.get("sourceIp"));
        assertEquals(r.headers().firstValue("X-Request-Id").orElse(null), ctx.get("requestId"));
        assertTrue(ctx.get("timeEpoch") instanceof Number, ctx.toString());
    }

    @Test
    @Order(2)
    void shouldPassABinaryBodyAsBase64() throws Exception {
        byte[] bytes = {0, 1, 2, (byte) 0xff, (byte) 0xfe, 10, 13};
        HttpResponse<String> r = serve.send(serve.request("/fn/raw")
                .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(bytes)));

        assertEquals(200, r.statusCode(), r.body());
        Map<String, Object> e = json(r.body());
        assertEquals(Boolean.TRUE, e.get("isBase64Encoded"));
        assertArrayEquals(bytes, Base64.getDecoder().decode((String) e.get("body")));
    }

    @Test
    @Order(3)
    void shouldAnswerWithAProxyResultAndGiveTheBootstrapTheLambdaEnvironment() throws Exception {
        HttpResponse<String> r = serve.get("/fn/env");

        assertEquals(201, r.statusCode(), r.body());
        assertEquals("created", r.body());
        assertEquals("text/plain", r.headers().firstValue("Content-Type").orElse(null));
        assertEquals("flavour=oat", r.headers().firstValue("Set-Cookie").orElse(null));
        assertEquals("env", r.headers().firstValue("x-function").orElse(null));
        assertEquals(r.headers().firstValue("X-Ringfence-Version").orElse(null),
                r.headers().firstValue("x-version").orElse(null));
        assertEquals("64", r.headers().firstValue("x-memory").orElse(null));
        assertEquals(Long.toString(64 * 1024), r.headers().firstValue("x-limit-kb").orElse(null),
                "memory=64m is the bootstrap's address-space limit");
        assertEquals("index.handler", r.headers().firstValue("x-handler").orElse(null));
        assertEquals(dir.resolve("env").toRealPath(), Path.of(r.headers().firstValue("x-root").orElseThrow()).toRealPath());
        assertEquals("local/local", r.headers().firstValue("x-region").orElse(null));
        assertTrue(r.headers().firstValue("x-api").orElse("").matches("127\\.0\\.0\\.1:\\d+"), r.headers().toString());
        assertTrue(Long.parseLong(r.headers().firstValue("x-deadline").orElseThrow()) > 0);
        assertTrue(r.headers().firstValue("x-arn").orElse("").endsWith(":function:env"), r.headers().toString());
        assertTrue(r.headers().firstValue("x-trace").orElse("").startsWith("Root=1-"), r.headers().toString());
        assertTrue(r.headers().firstValue("x-id").orElse("").matches("[0-9a-f-]{36}"), r.headers().toString());
        assertEquals("unset", r.headers().firstValue("x-home-secret").orElse(null),
                "the server's environment is not passed on beyond policy.env");
    }

    @Test
    @Order(4)
    void shouldAnswerTheRuntimeApisDocumentedErrors() throws Exception {
        String api = "http://" + serve.get("/fn/env").headers().firstValue("x-api").orElseThrow() + "/2018-06-01/runtime";

        HttpResponse<String> unknown = serve.send(HttpRequest.newBuilder(URI.create(api + "/invocation/"
                + "00000000-0000-0000-0000-000000000000/response")).POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(400, unknown.statusCode(), unknown.body());
        Map<String, Object> e = json(unknown.body());
        assertEquals("InvalidRequestID", e.get("errorType"));
        assertTrue(e.get("errorMessage") instanceof String, unknown.body());

        HttpResponse<String> unknownError = serve.send(HttpRequest.newBuilder(URI.create(api + "/invocation/nope/error"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(400, unknownError.statusCode(), unknownError.body());

        HttpResponse<String> lateInit = serve.send(HttpRequest.newBuilder(URI.create(api + "/init/error"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"errorMessage\":\"late\",\"errorType\":\"Late\"}")));
        assertEquals(403, lateInit.statusCode(), lateInit.body());
        assertEquals("InvalidStateTransition", json(lateInit.body()).get("errorType"));

        HttpResponse<String> wrongMethod = serve.send(HttpRequest.newBuilder(URI.create(api + "/invocation/next"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(405, wrongMethod.statusCode(), wrongMethod.body());
        HttpResponse<String> noPath = serve.send(HttpRequest.newBuilder(URI.create(api + "/nothing/here")).GET());
        assertEquals(404, noPath.statusCode(), noPath.body());
        assertTrue(json(noPath.body()).containsKey("errorType"), noPath.body());

        assertEquals(201, serve.get("/fn/env").statusCode(), "the bootstrap serves on after the bad calls");
    }

    @Test
    @Order(5)
    void shouldEndAPostedErrorAs500WithTheFunctionsTypeAndMessage() throws Exception {
        HttpResponse<String> r = serve.get("/fn/fails");

        assertEquals(500, r.statusCode(), r.body());
        assertEquals("ERROR", ForkedServe.outcome(r));
        Map<String, Object> error = (Map<String, Object>) json(r.body()).get("error");
        assertEquals("ERROR", error.get("code"));
        String message = (String) error.get("message");
        assertTrue(message.contains("Function.Boom") && message.contains("it broke on purpose"), message);
    }

    @Test
    @Order(6)
    void shouldKillABootstrapPastItsDeadlineWithItsChildrenAnd504ThenServeFromAFreshOne() throws Exception {
        long first = Long.parseLong(post("/fn/slow", "hi").body());

        HttpResponse<String> r = post("/fn/slow", "sleep");

        assertEquals(504, r.statusCode(), r.body());
        assertEquals("TIMEOUT", ForkedServe.outcome(r));
        HttpResponse<String> next = post("/fn/slow", "hi");
        assertEquals(200, next.statusCode(), next.body());
        assertNotEquals(first, Long.parseLong(next.body()), "a fresh bootstrap answers");
        long sleeper = Long.parseLong(Files.readString(marks.resolve("sleeper")).trim());
        awaitGone(first);
        assertTrue(gone(first), "the bootstrap past its deadline was killed");
        awaitGone(sleeper);
        assertTrue(gone(sleeper), "the bootstrap's own child was killed with it");
        assertTrue(ForkedServe.number(serve.status("slow"), "childrenStarted") >= 2, serve.status("slow"));
    }

    @Test
    @Order(7)
    void shouldAnswer502WhenTheBootstrapExitsMidInvocationAndRestartIt() throws Exception {
        long first = Long.parseLong(post("/fn/exits", "hi").body());

        HttpResponse<String> r = post("/fn/exits", "exit");

        assertEquals(502, r.statusCode(), r.body());
        assertEquals("CRASHED", ForkedServe.outcome(r));
        assertTrue(r.body().contains("status 3"), r.body());
        HttpResponse<String> next = post("/fn/exits", "hi");
        assertEquals(200, next.statusCode(), next.body());
        assertNotEquals(first, Long.parseLong(next.body()));
        assertTrue(started("exits").size() >= 2, started("exits").toString());
    }

    @Test
    @Order(8)
    void shouldRunAsManyBootstrapsAtOnceAsThePoolHolds() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return serve.get("/fn/wide");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        long until = System.nanoTime() + LONG;
        while (held() < 3 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertEquals(3, held(), "three bootstraps hold an invocation at once");
        Files.writeString(marks.resolve("go"), "");
        Set<String> pids = new HashSet<>();
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            HttpResponse<String> r = c.get(90, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            pids.add(r.body());
        }
        assertEquals(3, pids.size(), pids.toString());
    }

    private static long held() throws IOException {
        try (Stream<Path> s = Files.list(marks)) {
            return s.filter(p -> p.getFileName().toString().startsWith("held-")).count();
        }
    }

    @Test
    @Order(9)
    void shouldFailTheUpdateWhenTheBootstrapPostsAnInitError() throws Exception {
        HttpResponse<String> r = serve.get("/fn/initfails");

        assertEquals(500, r.statusCode(), r.body());
        assertEquals("ERROR", ForkedServe.outcome(r));
        assertTrue(r.body().contains("no configuration found") && r.body().contains("Runtime.NoConfig"), r.body());
        for (long pid : started("initfails")) {
            awaitGone(pid);
        assertTrue(gone(pid), "the failed bootstrap " + pid + " was stopped");
        }
    }

    @Test
    @Order(10)
    void shouldStopTheBootstrapsWhenTheRouteIsParkedAndStartAgainOnTheNextRequest() throws Exception {
        long first = Long.parseLong(serve.get("/fn/lazy").body());
        long until = System.nanoTime() + LONG;
        while (!serve.status("lazy").contains("\"parked\":true") && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        assertTrue(serve.status("lazy").contains("\"parked\":true"), serve.status("lazy"));
        awaitGone(first);
        assertTrue(gone(first), "the parked version's bootstrap stopped");

        HttpResponse<String> r = serve.get("/fn/lazy");

        assertEquals(200, r.statusCode(), r.body());
        assertNotEquals(first, Long.parseLong(r.body()));
    }

    @Test
    @Order(12)
    void shouldReplaceABootstrapThatHangsBetweenInvocations() throws Exception {
        long first = Long.parseLong(post("/fn/hangs", "hang").body());

        HttpResponse<String> waited = post("/fn/hangs", "hi");

        assertEquals(504, waited.statusCode(), waited.body());
        HttpResponse<String> r = post("/fn/hangs", "hi");
        assertEquals(200, r.statusCode(), r.body());
        assertNotEquals(first, Long.parseLong(r.body()), "a fresh bootstrap answers");
        awaitGone(first);
        assertTrue(gone(first), "the hung bootstrap was killed");
    }

    @Test
    @Order(11)
    void shouldLeaveNoBootstrapBehindWhenTheRouteIsRemoved() throws Exception {
        assertEquals(200, serve.get("/fn/removed").statusCode());
        Set<Long> pids = started("removed");
        assertEquals(2, pids.size(), pids.toString());
        try (Stream<Path> all = Files.walk(dir.resolve("removed"))) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        long until = System.nanoTime() + LONG;
        while (serve.get("/status").body().contains("{\"name\":\"removed\"") && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        assertFalse(serve.get("/status").body().contains("{\"name\":\"removed\""), "the route is gone");
        for (long pid : pids) {
            awaitGone(pid);
            assertTrue(gone(pid), "bootstrap " + pid + " stopped");
        }
    }
}
