package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.ringfence.agent.pipeline.TestJars;
import dev.ringfence.agent.runtimeapi.JsonReader;
import fixtures.lambda.FailingLambda;
import fixtures.lambda.MapLambda;
import fixtures.lambda.StreamLambda;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code serve DIR} with AWS Lambda Java handlers (classes compiled against aws-lambda-java-core,
 * which their route folder holds beside them, as a deployment package would), in a forked JVM over
 * real HTTP on loopback.
 */
class ServeLambdaIT {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
    private static final long LONG = TimeUnit.SECONDS.toNanos(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Path dir;
    private static Path fixtures;
    private static Path out;
    private static Path err;
    private static Process server;
    private static String base;

    private static void route(String name, String settings) throws Exception {
        Path folder = Files.createDirectories(dir.resolve(name));
        Files.copy(fixtures, folder.resolve("fixtures.jar"));
        Path core = Path.of(RequestHandler.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Files.copy(core, folder.resolve(core.getFileName()));
        Files.writeString(folder.resolve("route.properties"), settings);
    }

    @BeforeAll
    static void startServer() throws Exception {
        dir = Files.createTempDirectory("ringfence-serve-lambda-it");
        fixtures = TestJars.jar(Files.createTempDirectory("ringfence-lambda-fixtures").resolve("fixtures.jar"), "lambda-it",
                MapLambda.class, StreamLambda.class, FailingLambda.class);
        route("map", "handler=fixtures.lambda.MapLambda\nisolation=in-process\n");
        route("stream", "handler=fixtures.lambda.StreamLambda\nisolation=in-process\n");
        route("child", "handler=fixtures.lambda.MapLambda\nisolation=process\nheap=64m\n");
        route("fails", "handler=fixtures.lambda.FailingLambda\nisolation=in-process\nretry.max=0\ntimeout=2s\n"
                + "breaker.failures=1000\n");
        out = Files.createTempFile("ringfence-serve-lambda", ".out");
        err = Files.createTempFile("ringfence-serve-lambda", ".err");
        server = new ProcessBuilder(Cli.JAVA, "-Xmx256m", "-jar", Cli.AGENT_JAR.toString(), "serve", dir.toString(),
                "--port", "0").redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        long until = System.nanoTime() + LONG;
        while (base == null && System.nanoTime() < until && server.isAlive()) {
            Matcher m = LISTENING.matcher(Files.readString(out));
            if (m.find()) {
                base = m.group(1);
            } else {
                Thread.sleep(50);
            }
        }
        assertNotNull(base, () -> "the server did not say where it listens:\n" + read(out) + read(err));
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (Path d : new Path[] {dir, fixtures.getParent()}) {
            try (Stream<Path> all = Files.walk(d)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(90))
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String outcome(HttpResponse<?> r) {
        return r.headers().firstValue("X-Ringfence-Outcome").orElse("(none)");
    }

    @Test
    void shouldRunARequestHandlerWithTheEventAsAMapAndItsContextFilled() throws Exception {
        HttpResponse<String> r = post("/fn/map/some/path?q=ada", "hello");

        assertEquals(202, r.statusCode(), r.body());
        assertEquals("OK", outcome(r));
        assertEquals("path=/some/path body=hello query=ada", r.body());
        assertEquals("text/plain", r.headers().firstValue("Content-Type").orElse(null));
        assertEquals(r.headers().firstValue("X-Request-Id").orElse(null),
                r.headers().firstValue("x-aws-request-id").orElse(null));
        assertEquals("map@" + r.headers().firstValue("X-Ringfence-Version").orElse(null),
                r.headers().firstValue("x-function").orElse(null));
        assertEquals("128", r.headers().firstValue("x-memory").orElse(null));
        assertEquals("true", r.headers().firstValue("x-remaining-positive").orElse(null));
        assertTrue(r.headers().firstValue("x-arn").orElse("").endsWith(":function:map"), r.headers().toString());
        long until = System.nanoTime() + LONG;
        while (!(read(err) + read(out)).contains("handling /some/path") && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        assertTrue((read(err) + read(out)).contains("handling /some/path"), "the LambdaLogger's line reaches the log");
    }

    @Test
    void shouldRunALambdaHandlerInTheProcessTierToo() throws Exception {
        HttpResponse<String> r = post("/fn/child/in/a/child?q=bob", "hi");

        assertEquals(202, r.statusCode(), r.body());
        assertEquals("path=/in/a/child body=hi query=bob", r.body());
    }

    @Test
    void shouldRunAStreamHandlerOnTheEventsJson() throws Exception {
        HttpResponse<String> r = post("/fn/stream/x", "streamed");

        assertEquals(200, r.statusCode(), r.body());
        Map<?, ?> event = (Map<?, ?>) JsonReader.parse(r.body());
        assertEquals("2.0", event.get("version"));
        assertEquals("/x", event.get("rawPath"));
        assertEquals("streamed", event.get("body"));
    }

    @Test
    void shouldEndAThrowingHandlerErrorAndARunawayOneAtItsDeadline() throws Exception {
        HttpResponse<String> thrown = post("/fn/fails", "x");
        assertEquals(500, thrown.statusCode(), thrown.body());
        assertEquals("ERROR", outcome(thrown));
        assertTrue(thrown.body().contains("the lambda failed on purpose"), thrown.body());

        HttpResponse<String> spun = post("/fn/fails", "spin");
        assertEquals(504, spun.statusCode(), spun.body());
        assertEquals("TIMEOUT", outcome(spun));
        HttpResponse<String> after = post("/fn/fails", "x");
        assertEquals(500, after.statusCode(), "the route serves on: " + after.body());
        assertEquals("ERROR", outcome(after));
    }
}
