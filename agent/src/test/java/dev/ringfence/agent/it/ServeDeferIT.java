package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.pipeline.TestJars;
import fixtures.defer.BatchesItems;
import fixtures.defer.DefersWork;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    private static final long LONG = TimeUnit.SECONDS.toNanos(60);

    private static Path dir;
    private static ForkedServe serve;
    private static Path marks;
    private static Path fixtures;

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
        serve = ForkedServe.start(dir);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (serve != null) {
            serve.close();
        }
        ForkedServe.deleteTrees(dir, marks, fixtures.getParent());
    }

    private static long metric(String line) throws Exception {
        String body = serve.get("/metrics").body();
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
                return serve.get("/metrics").body() + serve.err();
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
            calls.add(serve.sendAsync(serve.request(query).header("X-Request-Id", "it-" + i)
                    .timeout(Duration.ofMillis(impatient ? 20 : 30_000)).GET()));
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
        assertTrue(settled(), () -> serve.err());
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
        String status = serve.get("/status").body();
        assertTrue(status.contains("\"deferred\":{\"queued\":0,\"running\":0,\"accepted\":" + handled + ",\"ran\":"
                + handled + ",\"failed\":0"), status);
    }

    /** No request of route defer in flight, no deferred work queued or running. */
    private static boolean settled() throws Exception {
        String body = serve.get("/status").body();
        int at = body.indexOf("{\"name\":\"defer\"");
        String s = body.substring(at);
        return s.contains("\"inflight\":0,") && s.contains("\"deferred\":{\"queued\":0,\"running\":0,")
                && metric("ringfence_requests_total{route=\"defer\",outcome=\"OK\"}") >= 16;
    }

    @Test
    @Order(2)
    void shouldFlushBatchesOfItemsFromManyRequests() throws Exception {
        for (int i = 0; i < 12; i++) {
            HttpResponse<String> r = serve.get("/fn/batch?item=i" + i + "&dir=" + marks);
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
        HttpResponse<String> m = serve.get("/metrics");
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
        HttpResponse<String> r = serve.get("/fn/child?task=none");
        assertEquals(500, r.statusCode(), r.body());
        assertEquals("ERROR", r.headers().firstValue("X-Ringfence-Outcome").orElse(null));
        assertTrue(r.body().contains("UnsupportedOperationException") && r.body().contains("the process tier offer none"),
                r.body());
        assertEquals(0, metric("ringfence_deferred_accepted_total{route=\"child\"}"));
    }

    @Test
    @Order(5)
    void shouldDrainDeferredWorkOnSigterm() throws Exception {
        HttpResponse<String> r = serve.get("/fn/defer?task=wait&count=2&dir=" + marks);
        assertEquals("true,true", r.body());
        String id = r.headers().firstValue("X-Request-Id").orElseThrow();
        long until = System.nanoTime() + LONG;
        while (!Files.exists(marks.resolve("started-" + id + "-0")) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        serve.process().destroy(); // SIGTERM: the tasks wait for the release file, written only now
        Files.writeString(marks.resolve("release"), "x");
        assertTrue(serve.process().waitFor(60, TimeUnit.SECONDS), "still running 60 s after SIGTERM");
        assertEquals(0, serve.process().exitValue(), serve.err());
        assertTrue(Files.exists(marks.resolve("done-" + id + "-0")) && Files.exists(marks.resolve("done-" + id + "-1")),
                "both deferred tasks ran before the server exited: " + serve.err());
        assertTrue(serve.err().contains("\"event\":\"stopped\""), serve.err());
    }
}
