package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.pipeline.TestJars;
import fixtures.defer.BatchesItems;
import fixtures.defer.DefersWork;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Deferred work through {@code java -jar ringfence-agent.jar serve DIR --port 0} in a forked JVM,
 * over real HTTP on loopback: tasks and batches run after the responses, callers that give up lose
 * nothing, {@code /metrics} and {@code /status} count it, SIGTERM drains it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServeDeferIT {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
    private static final long LONG = TimeUnit.SECONDS.toNanos(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Path dir;
    private static Path marks;
    private static Path fixtures;
    private static Path out;
    private static Path err;
    private static Process server;
    private static String base;

    private static void route(String name, String settings) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(name));
        Files.copy(fixtures, folder.resolve("fixtures.jar"));
        Files.writeString(folder.resolve("route.properties"), settings + "policy.read=" + marks + "\npolicy.write=" + marks
                + "\n");
    }

    @BeforeAll
    static void startServer() throws Exception {
        dir = Files.createTempDirectory("ringfence-serve-defer-it");
        marks = Files.createTempDirectory("ringfence-defer-marks").toRealPath();
        fixtures = TestJars.jar(Files.createTempDirectory("ringfence-fixtures").resolve("fixtures.jar"), "defer-it",
                DefersWork.class, BatchesItems.class);
        route("defer", "handler=fixtures.defer.DefersWork\nisolation=in-process\nretry.max=0\n");
        route("batch", "handler=fixtures.defer.BatchesItems\nisolation=in-process\ndefer.batch.size=5\n"
                + "defer.batch.linger=200ms\n");
        route("child", "handler=fixtures.defer.DefersWork\nisolation=process\nheap=64m\nretry.max=0\n");
        out = Files.createTempFile("ringfence-serve-defer", ".out");
        err = Files.createTempFile("ringfence-serve-defer", ".err");
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
        if (server != null && server.isAlive()) {
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (Path d : new Path[] {dir, marks, fixtures.getParent()}) {
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

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static long metric(String line) throws Exception {
        String body = get("/metrics").body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(line) + " (\\d+)").matcher(body);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static void awaitMetric(String line, long value) throws Exception {
        long until = System.nanoTime() + LONG;
        while (metric(line) != value && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        assertEquals(value, metric(line), () -> {
            try {
                return get("/metrics").body() + read(err);
            } catch (Exception e) {
                return e.toString();
            }
        });
    }

    @Test
    @Order(1)
    void shouldRunEveryDeferredTaskAfterItsResponseEvenForCallersThatGaveUp() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            // every fifth caller gives up after 20 ms on a handler that answers after 300 ms
            boolean impatient = i % 5 == 0;
            String query = "/fn/defer?task=none&dir=" + marks + (impatient ? "&then=300" : "");
            calls.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base + query)).header("X-Request-Id", "it-" + i)
                    .timeout(Duration.ofMillis(impatient ? 20 : 30_000)).GET().build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < calls.size(); i++) {
            try {
                HttpResponse<String> r = calls.get(i).get(60, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("true", r.body());
            } catch (java.util.concurrent.ExecutionException e) {
                assertEquals(0, i % 5, "only the impatient callers may give up: " + e);
            }
        }
        // an impatient caller may give up before its request even reaches the handler: what counts is
        // that every request the handler saw has its deferred task run
        long until = System.nanoTime() + LONG;
        while (!settled() && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        assertTrue(settled(), () -> read(err));
        long handled = metric("ringfence_requests_total{route=\"defer\",outcome=\"OK\"}");
        assertTrue(handled >= 16, "every patient caller was answered: " + handled);
        assertEquals(handled, metric("ringfence_deferred_total{route=\"defer\",outcome=\"OK\"}"), "zero lost");
        assertEquals(handled, metric("ringfence_deferred_accepted_total{route=\"defer\"}"));
        assertEquals(handled, metric("ringfence_deferred_lag_seconds_count{route=\"defer\"}"));
        assertEquals(0, metric("ringfence_deferred_total{route=\"defer\",outcome=\"REJECTED\"}"));
        long done = 0;
        for (int i = 0; i < 20; i++) {
            boolean ran = Files.exists(marks.resolve("done-it-" + i + "-0"));
            assertTrue(ran || i % 5 == 0, "the task of patient caller it-" + i + " ran");
            done += ran ? 1 : 0;
        }
        assertEquals(handled, done, "one task run per request handled");
        String status = get("/status").body();
        assertTrue(status.contains("\"deferred\":{\"queued\":0,\"running\":0,\"accepted\":" + handled + ",\"ran\":"
                + handled + ",\"failed\":0"), status);
    }

    /** No request of route defer in flight, no deferred work queued or running. */
    private static boolean settled() throws Exception {
        String body = get("/status").body();
        int at = body.indexOf("{\"name\":\"defer\"");
        String s = body.substring(at);
        return s.contains("\"inflight\":0,") && s.contains("\"deferred\":{\"queued\":0,\"running\":0,")
                && metric("ringfence_requests_total{route=\"defer\",outcome=\"OK\"}") >= 16;
    }

    @Test
    @Order(2)
    void shouldFlushBatchesOfItemsFromManyRequests() throws Exception {
        for (int i = 0; i < 12; i++) {
            HttpResponse<String> r = get("/fn/batch?item=i" + i + "&dir=" + marks);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("true", r.body());
        }
        // two flushes of 5 on size, then the last 2 on linger (more flushes when the machine stalls
        // for longer than the linger between two requests)
        awaitMetric("ringfence_deferred_batch_items_sum{route=\"batch\"}", 12);
        long flushes = metric("ringfence_deferred_batch_items_count{route=\"batch\"}");
        assertTrue(flushes >= 3, "at least two on size and one on linger: " + flushes);
        awaitMetric("ringfence_deferred_total{route=\"batch\",outcome=\"OK\"}", flushes);
        List<String> items = new ArrayList<>();
        for (int n = 1; n <= flushes; n++) {
            items.addAll(List.of(Files.readString(marks.resolve("batch-" + n)).split(",")));
        }
        assertEquals(12, items.size(), items.toString());
        assertEquals(12, items.stream().distinct().count(), "each item in exactly one flush: " + items);
    }

    @Test
    @Order(3)
    void shouldExposeDeferredMetricsThatPromtoolAccepts() throws Exception {
        HttpResponse<String> m = get("/metrics");
        assertEquals(200, m.statusCode());
        assertTrue(m.body().contains("# TYPE ringfence_deferred_lag_seconds histogram"), m.body());
        Path promtool = Promtool.find();
        if (promtool != null) {
            Promtool.Verdict v = Promtool.check(promtool, m.body());
            assertEquals(0, v.exitCode(), v.output());
            assertEquals("", v.output().trim(), "promtool's lint findings");
        }
    }

    @Test
    @Order(4)
    void shouldRefuseDeferralInAChildJvmWithAClearMessage() throws Exception {
        HttpResponse<String> r = get("/fn/child?task=none");
        assertEquals(500, r.statusCode(), r.body());
        assertEquals("ERROR", r.headers().firstValue("X-Ringfence-Outcome").orElse(null));
        assertTrue(r.body().contains("UnsupportedOperationException") && r.body().contains("the process tier offer none"),
                r.body());
        assertEquals(0, metric("ringfence_deferred_accepted_total{route=\"child\"}"));
    }

    @Test
    @Order(5)
    void shouldDrainDeferredWorkOnSigterm() throws Exception {
        HttpResponse<String> r = get("/fn/defer?task=wait&count=2&dir=" + marks);
        assertEquals("true,true", r.body());
        String id = r.headers().firstValue("X-Request-Id").orElseThrow();
        long until = System.nanoTime() + LONG;
        while (!Files.exists(marks.resolve("started-" + id + "-0")) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        server.destroy(); // SIGTERM: the tasks wait for the release file, written only now
        Files.writeString(marks.resolve("release"), "x");
        assertTrue(server.waitFor(60, TimeUnit.SECONDS), "still running 60 s after SIGTERM");
        assertEquals(0, server.exitValue(), read(err));
        assertTrue(Files.exists(marks.resolve("done-" + id + "-0")) && Files.exists(marks.resolve("done-" + id + "-1")),
                "both deferred tasks ran before the server exited: " + read(err));
        assertTrue(read(err).contains("\"event\":\"stopped\""), read(err));
    }
}
