package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.pipeline.TestJars;
import dev.ringfence.jfr.Jfc;
import fixtures.serve.Uninterruptible;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code serve} in a forked JVM with a JFR recording from its start: a handler thread that cannot be
 * stopped quarantines its version until a new jar loads, and requests the HTTP front answers itself
 * (404, 413) each leave exactly one {@code ringfence.Invocation} event. One server for the class; the
 * last test stops it with SIGTERM and reads the recording it dumps on exit.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QuarantineIT {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String UNKNOWN = "nope" + "x".repeat(200);

    private static Path work;
    private static Path dir;
    private static Path recording;
    private static Path out;
    private static Path err;
    private static Process server;
    private static String base;

    @BeforeAll
    static void startServer() throws Exception {
        work = Files.createTempDirectory("ringfence-quarantine-it");
        dir = Files.createDirectories(work.resolve("routes"));
        Path stuck = Files.createDirectories(dir.resolve("stuck"));
        Files.writeString(stuck.resolve("route.properties"),
                "handler=fixtures.serve.Uninterruptible\ntimeout=500ms\nbreaker.failures=1000\nisolation=in-process\n");
        TestJars.jar(stuck.resolve("handler.jar"), "v1", Uninterruptible.class);
        Path small = Files.createDirectories(dir.resolve("small"));
        Files.writeString(small.resolve("route.properties"), "handler=dev.ringfence.samples.Hello\nmaxBodyBytes=1k\n");
        Files.copy(Cli.SAMPLES_JAR, small.resolve("samples.jar"));
        Path jfc = Jfc.copyTo(work.resolve("ringfence.jfc"));
        recording = work.resolve("serve.jfr");
        out = work.resolve("serve.out");
        err = work.resolve("serve.err");
        server = new ProcessBuilder(Cli.JAVA, "-Xmx256m",
                "-XX:StartFlightRecording=filename=" + recording + ",settings=" + jfc + ",dumponexit=true",
                "-jar", Cli.AGENT_JAR.toString(), "serve", dir.toString(), "--port", "0")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
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
        if (server != null && server.isAlive()) {
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (Stream<Path> all = Files.walk(work)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return HTTP.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path, String requestId) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("X-Request-Id", requestId).GET());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    private static String outcome(HttpResponse<?> r) {
        return r.headers().firstValue("X-Ringfence-Outcome").orElse("(none)");
    }

    /** The {@code /status} entry of one route (its object up to the next route's). */
    private static String statusOf(String route) throws Exception {
        String status = get("/status").body();
        JsonCheck.assertValid(status);
        int at = status.indexOf("{\"name\":\"" + route + "\"");
        assertTrue(at >= 0, status);
        int next = status.indexOf("{\"name\":", at + 1);
        return status.substring(at, next < 0 ? status.length() : next);
    }

    @Test
    @Order(1)
    void shouldAnswer504AtTheDeadlineAndQuarantineTheVersionWhoseThreadWasAbandoned() throws Exception {
        HttpResponse<String> stuck = get("/fn/stuck?stuck=1", "it-stuck-1");
        assertEquals(504, stuck.statusCode(), stuck.body());
        assertEquals("TIMEOUT", outcome(stuck));
        String version = stuck.headers().firstValue("X-Ringfence-Version").orElseThrow();
        // answered at the deadline; the thread is abandoned (and the version quarantined) a grace later
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (!statusOf("stuck").contains("\"quarantined\":true") && System.nanoTime() < until) {
            Thread.sleep(20);
        }

        HttpResponse<String> held = get("/fn/stuck", "it-held-1");
        assertEquals(503, held.statusCode(), held.body());
        assertEquals("CIRCUIT_OPEN", outcome(held));
        assertTrue(held.headers().firstValue("Retry-After").isPresent(), held.headers().toString());
        assertTrue(held.body().contains("quarantined") && held.body().contains("it-stuck-1"), held.body());

        String status = statusOf("stuck");
        assertTrue(status.contains("\"quarantined\":true"), status);
        assertTrue(status.contains("\"quarantine\":{\"version\":\"" + version + "\""), status);
        assertTrue(status.contains("\"requestId\":\"it-stuck-1\",\"outcome\":\"TIMEOUT\""), status);
        String metrics = get("/metrics").body();
        assertTrue(metrics.contains("ringfence_quarantined{route=\"stuck\"} 1"), metrics);
        assertTrue(metrics.contains("ringfence_quarantines_total{route=\"stuck\"} 1"), metrics);
        assertTrue(metrics.contains("ringfence_abandoned_threads_total{route=\"stuck\"} 1"), metrics);
        assertTrue(read(err).contains("\"event\":\"quarantined\",\"route\":\"stuck\",\"version\":\"" + version + "\""),
                read(err));
    }

    @Test
    @Order(2)
    void shouldLiftTheQuarantineWhenANewJarLoads() throws Exception {
        Path folder = dir.resolve("stuck");
        Path tmp = TestJars.jar(folder.resolve(".handler.jar.tmp"), "v2", Uninterruptible.class);
        Files.move(tmp, folder.resolve("handler.jar"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        HttpResponse<String> r = get("/fn/stuck");
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (r.statusCode() != 200 && System.nanoTime() < until) {
            Thread.sleep(100);
            r = get("/fn/stuck");
        }
        assertEquals(200, r.statusCode(), "the new version did not answer within 15 s: " + r.body());
        assertEquals("free", r.body());
        String status = statusOf("stuck");
        assertTrue(status.contains("\"quarantined\":false,\"quarantine\":null,\"quarantines\":1"), status);
        assertTrue(get("/metrics").body().contains("ringfence_quarantined{route=\"stuck\"} 0"));
        assertTrue(read(err).contains("\"event\":\"quarantine-lifted\",\"route\":\"stuck\""), read(err));
    }

    @Test
    @Order(3)
    void shouldCount404And413Requests() throws Exception {
        HttpResponse<String> notFound = get("/fn/" + UNKNOWN, "it-404");
        assertEquals(404, notFound.statusCode());
        assertEquals("NOT_FOUND", outcome(notFound));
        HttpResponse<String> big = send(HttpRequest.newBuilder(URI.create(base + "/fn/small")).header("X-Request-Id", "it-413")
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(2048))));
        assertEquals(413, big.statusCode(), big.body());
        assertEquals("BODY_TOO_LARGE", outcome(big));

        String metrics = get("/metrics").body();
        assertTrue(metrics.contains("ringfence_unrouted_requests_total{reason=\"NOT_FOUND\"} 1"), metrics);
        assertTrue(metrics.contains("ringfence_requests_total{route=\"small\",outcome=\"BODY_TOO_LARGE\"} 1"), metrics);
        assertTrue(!metrics.contains(UNKNOWN), "an unknown route's name is never a label");
        assertTrue(statusOf("small").contains("\"requests\":1"), statusOf("small"));
    }

    @Test
    @Order(4)
    void shouldLeaveExactlyOneInvocationEventPerRequestInTheRecording() throws Exception {
        server.destroy(); // SIGTERM: the recording is dumped on exit
        assertTrue(server.waitFor(30, TimeUnit.SECONDS), "still running 30 s after SIGTERM");
        assertTrue(Files.size(recording) > 0, read(err));
        List<RecordedEvent> events = RecordingFile.readAllEvents(recording);
        Map<String, List<RecordedEvent>> invocations = events.stream()
                .filter(e -> e.getEventType().getName().equals("ringfence.Invocation"))
                .collect(Collectors.groupingBy(e -> e.getString("requestId")));

        RecordedEvent notFound = only(invocations, "it-404");
        assertEquals("NOT_FOUND", notFound.getString("outcome"));
        assertEquals(UNKNOWN.substring(0, 64) + "…", notFound.getString("route"));
        RecordedEvent big = only(invocations, "it-413");
        assertEquals("BODY_TOO_LARGE", big.getString("outcome"));
        assertEquals("small", big.getString("route"));
        assertEquals("TIMEOUT", only(invocations, "it-stuck-1").getString("outcome"));
        assertEquals("CIRCUIT_OPEN", only(invocations, "it-held-1").getString("outcome"));

        List<RecordedEvent> quarantined = events.stream()
                .filter(e -> e.getEventType().getName().equals("ringfence.Quarantined")).toList();
        assertEquals(1, quarantined.size(), quarantined.toString());
        assertEquals("stuck", quarantined.get(0).getString("route"));
        assertEquals("it-stuck-1", quarantined.get(0).getString("requestId"));
        assertEquals("TIMEOUT", quarantined.get(0).getString("outcome"));
    }

    private static RecordedEvent only(Map<String, List<RecordedEvent>> byRequest, String requestId) {
        List<RecordedEvent> e = byRequest.get(requestId);
        assertNotNull(e, () -> "no ringfence.Invocation event for " + requestId + " among " + byRequest.keySet());
        assertEquals(1, e.size(), () -> "one event for " + requestId + ", not " + e);
        return e.get(0);
    }
}
