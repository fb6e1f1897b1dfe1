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
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Deferred work through {@code java -jar ringfence-agent.jar serve DIR --port 0} in a forked JVM,
 * over real HTTP on loopback: tasks and batches run after the responses, callers that give up lose
 * nothing, {@code /metrics} and {@code /status} count it, SIGTERM drains it; the same in a child
 * JVM of the process tier, whose deferred work the host counts, and loses (counted) when it is killed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServeDeferIT {
    private static final long LONG = TimeUnit.SECONDS.toNanos(60);

    private static Path dir;
    private static ForkedServe serve;
    private static Path marks;
    /** Where the fixtures jar is written; JUnit deletes it after the class. */
    @TempDir
    static Path fixturesDir;
    private static Path fixtures;

    private static void route(String name, String settings) throws IOException {
        ForkedServe.route(dir, name, settings + "policy.read=" + marks + "\npolicy.write=" + marks + "\n", fixtures);
    }

    @BeforeAll
    static void startServer() throws Exception {
        dir = Files.createTempDirectory("ringfence-serve-defer-it");
        marks = Files.createTempDirectory("ringfence-defer-marks").toRealPath();
        fixtures = TestJars.jar(fixturesDir.resolve("fixtures.jar"), "defer-it",
                DefersWork.class, BatchesItems.class);
        route("defer", "handler=fixtures.defer.DefersWork\nisolation=in-process\nretry.max=0\n");
        route("batch", "handler=fixtures.defer.BatchesItems\nisolation=in-process\ndefer.batch.size=5\n"
                + "defer.batch.linger=200ms\n");
        route("child", "handler=fixtures.defer.DefersWork\nisolation=process\nheap=64m\nretry.max=0\n");
        route("childbatch", "handler=fixtures.defer.BatchesItems\nisolation=process\nheap=64m\ndefer.batch.size=5\n"
                + "defer.batch.linger=200ms\n");
        route("childkill", "handler=fixtures.defer.DefersWork\nisolation=process\nheap=64m\nretry.max=0\n"
                + "defer.workers=1\npool.min=1\npool.max=1\n");
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
        Promtool.assertAccepts(m.body());
    }

    @Test
    @Order(4)
    void shouldRunDeferredTasksInsideTheChildJvmAndCountThemOnTheHost() throws Exception {
        jcmd("JFR.start", "name=defer-it");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = serve.get("/fn/child?task=none&dir=" + marks);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("true", r.body());
            ids.add(r.headers().firstValue("X-Request-Id").orElseThrow());
        }
        awaitMetric("ringfence_deferred_total{route=\"child\",outcome=\"OK\"}", 10);
        assertEquals(10, metric("ringfence_deferred_accepted_total{route=\"child\"}"));
        assertEquals(10, metric("ringfence_deferred_lag_seconds_count{route=\"child\"}"));
        for (String id : ids) {
            assertTrue(Files.exists(marks.resolve("done-" + id + "-0")), "the task of " + id + " ran in the child");
        }
        String status = serve.get("/status").body();
        String child = status.substring(status.indexOf("{\"name\":\"child\""));
        assertTrue(child.contains("\"runningIn\":\"process\""), child);
        assertTrue(child.contains("\"accepted\":10,\"ran\":10,\"failed\":0,\"dropped\":0"), child);
        assertTrue(child.contains("\"inChildren\":0}"), "all ended, as the child reported: " + child);
        Path jfr = marks.resolve("defer-it.jfr");
        jcmd("JFR.dump", "name=defer-it", "filename=" + jfr);
        jcmd("JFR.stop", "name=defer-it");
        long events = RecordingFile.readAllEvents(jfr).stream()
                .filter(e -> e.getEventType().getName().equals("ringfence.Deferred") && "child".equals(e.getString("route"))
                        && "task".equals(e.getString("kind")) && "OK".equals(e.getString("outcome")))
                .count();
        assertEquals(10, events, "the host emits one ringfence.Deferred event per task its child ran");
    }

    /** Runs a diagnostic command against the server's JVM (a recording on the host, not in its children). */
    private static void jcmd(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(serve.process().pid())));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + ": " + out);
    }

    @Test
    @Order(4)
    void shouldFlushBatchesInsideTheChildJvm() throws Exception {
        for (int i = 0; i < 12; i++) {
            HttpResponse<String> r = serve.get("/fn/childbatch?item=c" + i);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("true", r.body());
        }
        awaitMetric("ringfence_deferred_batch_items_sum{route=\"childbatch\"}", 12);
        long flushes = metric("ringfence_deferred_batch_items_count{route=\"childbatch\"}");
        assertTrue(flushes >= 3, "at least two on size and one on linger: " + flushes);
        assertEquals(flushes, metric("ringfence_deferred_total{route=\"childbatch\",outcome=\"OK\"}"));
    }

    @Test
    @Order(4)
    void shouldCountWhatAKilledChildHadNotRunAsDropped() throws Exception {
        Path held = Files.createDirectories(marks.resolve("held")); // no release file: its tasks wait
        HttpResponse<String> r = serve.get("/fn/childkill?task=wait&count=3&dir=" + held);
        assertEquals("true,true,true", r.body());
        String id = r.headers().firstValue("X-Request-Id").orElseThrow();
        long until = System.nanoTime() + LONG;
        while (!Files.exists(held.resolve("started-" + id + "-0")) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        String status = serve.status("childkill");
        assertTrue(status.contains("\"inChildren\":3}"), "one running, two queued, as the response said: " + status);
        long pid = ForkedServe.number(status, "childPid");
        ProcessHandle child = ProcessHandle.of(pid).orElseThrow();
        child.destroyForcibly(); // one running (defer.workers=1), two queued: all three lost with it
        child.onExit().get(60, TimeUnit.SECONDS);
        awaitMetric("ringfence_deferred_total{route=\"childkill\",outcome=\"DROPPED\"}", 3);
        assertEquals(3, metric("ringfence_deferred_accepted_total{route=\"childkill\"}"));
        assertEquals(0, metric("ringfence_deferred_total{route=\"childkill\",outcome=\"OK\"}"));
        assertTrue(serve.err().contains("\"event\":\"deferred-lost\""), serve.err());
        // a replacement serves, and defers again (its cold start may outlast a first request's deadline)
        HttpResponse<String> again = serve.getPast504("/fn/childkill?task=none");
        long by = System.nanoTime() + LONG;
        assertEquals("true", again.body());
        while (metric("ringfence_deferred_total{route=\"childkill\",outcome=\"OK\"}") < 1 && System.nanoTime() < by) {
            Thread.sleep(50);
        }
        assertTrue(metric("ringfence_deferred_total{route=\"childkill\",outcome=\"OK\"}") >= 1, () -> serve.err());
    }

    @Test
    @Order(5)
    void shouldDrainDeferredWorkOnSigterm() throws Exception {
        HttpResponse<String> r = serve.get("/fn/defer?task=wait&count=2&dir=" + marks);
        assertEquals("true,true", r.body());
        String id = r.headers().firstValue("X-Request-Id").orElseThrow();
        HttpResponse<String> c = serve.get("/fn/child?task=wait&count=2&dir=" + marks);
        assertEquals("true,true", c.body());
        String childId = c.headers().firstValue("X-Request-Id").orElseThrow();
        long until = System.nanoTime() + LONG;
        while (!(Files.exists(marks.resolve("started-" + id + "-0")) && Files.exists(marks.resolve("started-" + childId
                + "-0"))) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        serve.process().destroy(); // SIGTERM: the tasks wait for the release file, written only now
        Thread.sleep(200); // the child has been told to stop: its tasks run on in its drain
        Files.writeString(marks.resolve("release"), "x");
        assertTrue(serve.process().waitFor(60, TimeUnit.SECONDS), "still running 60 s after SIGTERM");
        assertEquals(0, serve.process().exitValue(), serve.err());
        for (String rid : List.of(id, childId)) {
            assertTrue(Files.exists(marks.resolve("done-" + rid + "-0")) && Files.exists(marks.resolve("done-" + rid
                    + "-1")), "both deferred tasks of " + rid + " ran before the server exited: " + serve.err());
        }
        assertTrue(serve.err().contains("\"event\":\"stopped\""), serve.err());
        assertTrue(!serve.err().contains("\"event\":\"deferred-lost\",\"route\":\"child\""), serve.err());
    }
}
