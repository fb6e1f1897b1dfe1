package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.pipeline.TestJars;
import fixtures.process.Echo;
import fixtures.process.MarksThenWaits;
import fixtures.serve.Uninterruptible;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code serve DIR} with routes on {@code isolation=process}, in a forked JVM over real HTTP on
 * loopback: each route's handler runs in a child JVM the server started from its own agent jar.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServeProcessIT {
    private static final long LONG = TimeUnit.SECONDS.toNanos(60);

    private static Path dir;
    private static ForkedServe serve;
    private static Path marks;
    /** Where the fixtures jar is written; JUnit deletes it after the class. */
    @TempDir
    static Path fixturesDir;
    private static Path fixtures;
    private static Path startupCache;

    private static void route(String name, String settings) throws IOException {
        ForkedServe.route(dir, name, settings, fixtures);
    }

    @BeforeAll
    static void startServer() throws Exception {
        dir = Files.createTempDirectory("ringfence-serve-process-it");
        marks = Files.createTempDirectory("ringfence-marks").toRealPath();
        fixtures = TestJars.jar(fixturesDir.resolve("fixtures.jar"), "process-it",
                Echo.class, Uninterruptible.class, MarksThenWaits.class);
        route("echo", "handler=fixtures.process.Echo\nisolation=process\nheap=64m\n");
        route("stuck", "handler=fixtures.serve.Uninterruptible\nisolation=process\ntimeout=300ms\nretry.max=0\n"
                + "breaker.failures=1000\n");
        route("killed", "handler=fixtures.process.MarksThenWaits\nisolation=process\ntimeout=60s\nretry.max=0\n"
                + "breaker.failures=1000\npolicy.write=" + marks + "\n");
        route("missing", "handler=fixtures.process.Missing\nisolation=process\n");
        route("lazy", "handler=fixtures.process.Echo\nisolation=process\nidle=1s\n");
        startupCache = Files.createTempDirectory("ringfence-startup-cache");
        serve = ForkedServe.start(dir);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (serve != null) {
            serve.close();
        }
        ForkedServe.deleteTrees(dir, marks, fixtures.getParent(), startupCache);
    }
    private static boolean childOfServer(long pid) {
        return serve.process().descendants().anyMatch(p -> p.pid() == pid);
    }

    @Test
    @Order(1)
    void shouldAnswerFromAChildProcessOfTheServer() throws Exception {
        HttpResponse<String> r = serve.get("/fn/echo/some/path?q=ada");

        assertEquals(200, r.statusCode(), r.body());
        assertEquals("OK", ForkedServe.outcome(r));
        assertEquals("GET /some/path q=ada", r.headers().firstValue("x-echo").orElse(null), r.headers().toString());
        String s = serve.status("echo");
        assertTrue(s.contains("\"tier\":\"process\""), s);
        long pid = ForkedServe.number(s, "childPid");
        assertNotEquals(serve.process().pid(), pid);
        assertTrue(childOfServer(pid), "child " + pid + " is not the server's: " + s);
        assertTrue(ProcessHandle.of(pid).orElseThrow().info().commandLine().orElse("").contains("-Xmx" + (64L << 20)),
                "the heap cap reaches the child");
        assertTrue(serve.status("stuck").contains("\"tier\":\"process\""));
        assertTrue(s.matches("(?s).*\"startupCache\":\"(training|ready|used|off: [^\"]*)\".*"), s);
    }

    @Test
    @Order(2)
    void shouldAnswer504ForAStuckHandlerAndServeTheNextRequestFromAReplacement() throws Exception {
        long first = ForkedServe.number(serve.status("stuck"), "childPid");

        HttpResponse<String> r = serve.get("/fn/stuck?stuck=1");

        assertEquals(504, r.statusCode(), r.body());
        assertEquals("TIMEOUT", ForkedServe.outcome(r));
        // the replacement is a fresh JVM: until it is ready, and while its first request runs cold
        // code (past 300 ms on a loaded machine), requests end TIMEOUT
        HttpResponse<String> next = serve.getPast504("/fn/stuck");
        assertEquals(200, next.statusCode(), next.body());
        assertEquals("free", next.body());
        String s = serve.status("stuck");
        assertNotEquals(first, ForkedServe.number(s, "childPid"));
        assertTrue(ForkedServe.number(s, "childrenStarted") >= 2, s);
        ProcessHandle.of(first).ifPresent(p -> p.onExit().orTimeout(30, TimeUnit.SECONDS).join()); // killed: it ends
    }

    @Test
    @Order(3)
    void shouldAnswer502WhenTheChildIsKilledMidRequestAndServeAgain() throws Exception {
        long pid = ForkedServe.number(serve.status("killed"), "childPid");
        Path mark = marks.resolve("running");
        CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> {
            try {
                return serve.get("/fn/killed?mark=" + URLEncoder.encode(mark.toString(), StandardCharsets.UTF_8));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long until = System.nanoTime() + LONG;
        while (!Files.exists(mark) && System.nanoTime() < until && !inFlight.isDone()) {
            Thread.sleep(10);
        }
        assertTrue(Files.exists(mark), () -> "the handler did not start: " + (inFlight.isDone() ? inFlight.join().body()
                : "still waiting"));

        assertTrue(ProcessHandle.of(pid).orElseThrow().destroyForcibly()); // SIGKILL
        HttpResponse<String> r = inFlight.get(60, TimeUnit.SECONDS);

        assertEquals(502, r.statusCode(), r.body());
        assertEquals("CRASHED", ForkedServe.outcome(r));
        HttpResponse<String> next = serve.get("/fn/killed");
        assertEquals(200, next.statusCode(), next.body());
        assertEquals("free", next.body());
        assertNotEquals(pid, ForkedServe.number(serve.status("killed"), "childPid"));
    }

    @Test
    @Order(4)
    void shouldFailTheUpdateWithTheChildsReasonWhenItCannotStart() throws Exception {
        String s = serve.status("missing");

        assertTrue(s.contains("\"ok\":false"), s);
        assertTrue(s.contains("did not start") && s.contains("fixtures.process.Missing"), s);
        assertEquals(500, serve.get("/fn/missing").statusCode());
    }

    @Test
    @Order(5)
    void shouldExposeMetricsThatPromtoolAccepts() throws Exception {
        HttpResponse<String> m = serve.get("/metrics");
        assertEquals(200, m.statusCode());
        assertTrue(m.body().contains("ringfence_requests_total{route=\"killed\",outcome=\"CRASHED\"} 1"), m.body());
        Promtool.assertAccepts(m.body());
    }

    @Test
    @Order(6)
    void shouldStopTheChildWhenTheRouteScalesToZeroAndStartOneForTheNextRequest() throws Exception {
        assertEquals(200, serve.get("/fn/lazy?q=1").statusCode());
        long pid = ForkedServe.number(serve.status("lazy"), "childPid");
        ProcessHandle first = ProcessHandle.of(pid).orElseThrow();
        long until = System.nanoTime() + LONG;
        while (!serve.status("lazy").contains("\"parked\":true") && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        assertTrue(serve.status("lazy").contains("\"parked\":true"), serve.status("lazy"));
        first.onExit().get(30, TimeUnit.SECONDS); // the parked version's child is stopped

        HttpResponse<String> r = serve.get("/fn/lazy?q=2");

        assertEquals(200, r.statusCode(), r.body());
        assertEquals("GET / q=2", r.headers().firstValue("x-echo").orElse(null));
        String s = serve.status("lazy");
        assertNotEquals(pid, ForkedServe.number(s, "childPid"));
        assertTrue(ForkedServe.number(s, "coldStarts") >= 1, s);
    }

    @Test
    @Order(7)
    void shouldLeaveNoChildBehindWhenTheRouteFoldersAreRemoved() throws Exception {
        assertFalse(serve.process().descendants().toList().isEmpty(), "children run before the removal");
        for (String name : List.of("echo", "stuck", "killed", "missing", "lazy")) {
            try (Stream<Path> all = Files.walk(dir.resolve(name))) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        long until = System.nanoTime() + LONG;
        while (System.nanoTime() < until && (serve.get("/status").body().contains("\"name\":\"echo\"")
                || serve.process().descendants().anyMatch(ProcessHandle::isAlive))) {
            Thread.sleep(50);
        }

        assertFalse(serve.get("/status").body().contains("\"name\":\"echo\""), "the route is gone");
        assertEquals(List.of(), serve.process().descendants().filter(ProcessHandle::isAlive)
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("")).toList());
        assertTrue(serve.process().isAlive(), serve.err());
    }
}
