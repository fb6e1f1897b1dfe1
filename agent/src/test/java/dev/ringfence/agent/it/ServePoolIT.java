package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.pipeline.TestJars;
import fixtures.process.Echo;
import fixtures.process.MarksThenWaits;
import fixtures.process.Rendezvous;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code serve DIR} with process routes on pools of children, in a forked JVM over real HTTP on
 * loopback: a pool of two keeps serving while one busy child is killed, a child runs two requests
 * at once with {@code concurrency=2}, a route scaled to zero stops its children and its next
 * request takes the host's warm spare, and nothing is left running once the server stops.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServePoolIT {
    private static final long LONG = TimeUnit.SECONDS.toNanos(90);

    private static Path dir;
    private static ForkedServe serve;
    private static Path marks;
    /** Where the fixtures jar is written; JUnit deletes it after the class. */
    @TempDir
    static Path fixturesDir;
    private static Path fixtures;

    private static void route(String name, String settings) throws IOException {
        ForkedServe.route(dir, name, settings, fixtures);
    }

    @BeforeAll
    static void startServer() throws Exception {
        dir = Files.createTempDirectory("ringfence-serve-pool-it");
        marks = Files.createTempDirectory("ringfence-pool-marks").toRealPath();
        fixtures = TestJars.jar(fixturesDir.resolve("fixtures.jar"), "pool-it",
                Echo.class, MarksThenWaits.class, Rendezvous.class);
        route("pair", "handler=fixtures.process.MarksThenWaits\nisolation=process\npool.min=2\npool.max=2\n"
                + "timeout=60s\nretry.max=0\nbreaker.failures=1000\nidle=0\npolicy.write=" + marks + "\n");
        route("other", "handler=fixtures.process.Echo\nisolation=process\nidle=0\n");
        route("both", "handler=fixtures.process.Rendezvous\nisolation=process\nconcurrency=2\npool.min=1\npool.max=1\n"
                + "timeout=60s\nretry.max=0\nidle=0\npolicy.read=" + marks + "\npolicy.write=" + marks + "\n");
        route("lazy", "handler=fixtures.process.Echo\nisolation=process\nidle=1s\n");
        serve = ForkedServe.start(dir);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (serve != null) {
            serve.close();
        }
        ForkedServe.deleteTrees(dir, marks, fixtures.getParent());
    }
    /** The server's spare object in {@code /status}. */
    private static String spare() throws Exception {
        String body = serve.get("/status").body();
        int at = body.indexOf("\"spare\":{");
        return at < 0 ? "" : body.substring(at, body.indexOf('}', at) + 1);
    }

    private static List<Long> numbers(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\\[([-\\d,]*)]").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        List<Long> list = new ArrayList<>();
        for (String n : m.group(1).split(",")) {
            if (!n.isEmpty()) {
                list.add(Long.parseLong(n));
            }
        }
        return list;
    }

    private static void awaitStatus(String route, String text) throws Exception {
        long until = System.nanoTime() + LONG;
        while (!serve.status(route).contains(text) && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        assertTrue(serve.status(route).contains(text), () -> text + " in " + serve.out());
    }

    @Test
    @Order(1)
    void shouldKeepServingFromTheOtherChildWhenOneBusyChildIsKilled() throws Exception {
        awaitStatus("pair", "\"childrenReady\":2");
        assertEquals(200, serve.get("/fn/other").statusCode());
        AtomicBoolean loading = new AtomicBoolean(true);
        List<String> otherFailures = new ArrayList<>();
        int[] otherServed = new int[1];
        Thread load = new Thread(() -> {
            while (loading.get()) {
                try {
                    HttpResponse<String> r = serve.get("/fn/other?q=load");
                    synchronized (otherFailures) {
                        otherServed[0]++;
                        if (r.statusCode() != 200) {
                            otherFailures.add(r.statusCode() + " " + r.body());
                        }
                    }
                } catch (Exception e) {
                    synchronized (otherFailures) {
                        otherFailures.add(e.toString());
                    }
                }
            }
        });
        load.start();
        Path mark = marks.resolve("pair-running");
        CompletableFuture<HttpResponse<String>> inFlight = serve.getAsync("/fn/pair?mark="
                + URLEncoder.encode(mark.toString(), StandardCharsets.UTF_8));
        long until = System.nanoTime() + LONG;
        while (!Files.exists(mark) && System.nanoTime() < until && !inFlight.isDone()) {
            Thread.sleep(10);
        }
        assertTrue(Files.exists(mark), "the handler did not start");
        String s = serve.status("pair");
        List<Long> pids = numbers(s, "children");
        List<Long> loads = numbers(s, "childLoads");
        int busy = loads.indexOf(1L);
        assertTrue(busy >= 0, s);
        long victim = pids.get(busy);
        long survivor = pids.get(1 - busy);

        assertTrue(ProcessHandle.of(victim).orElseThrow().destroyForcibly()); // SIGKILL
        HttpResponse<String> killed = inFlight.get(60, TimeUnit.SECONDS);
        List<HttpResponse<String>> after = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            after.add(serve.get("/fn/pair"));
        }
        loading.set(false);
        load.join();

        assertEquals(502, killed.statusCode(), killed.body());
        assertEquals("CRASHED", ForkedServe.outcome(killed));
        for (HttpResponse<String> r : after) {
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("free", r.body());
        }
        assertTrue(ProcessHandle.of(survivor).map(ProcessHandle::isAlive).orElse(false), "the other child serves on");
        synchronized (otherFailures) {
            assertEquals(List.of(), otherFailures);
            assertTrue(otherServed[0] > 0, "the other route was under load");
        }
        awaitStatus("pair", "\"childrenReady\":2");
        List<Long> now = numbers(serve.status("pair"), "children");
        assertFalse(now.contains(victim), now.toString());
        assertTrue(now.contains(survivor), now.toString());
    }

    @Test
    @Order(2)
    void shouldRunTwoRequestsAtOnceInOneChildWithConcurrencyTwo() throws Exception {
        String dirParam = URLEncoder.encode(marks.toString(), StandardCharsets.UTF_8);
        // each waits for the other's file: both end "met" only if the one child runs them at the same time
        CompletableFuture<HttpResponse<String>> a = serve.getAsync("/fn/both?dir=" + dirParam + "&me=a&other=b");
        CompletableFuture<HttpResponse<String>> b = serve.getAsync("/fn/both?dir=" + dirParam + "&me=b&other=a");

        HttpResponse<String> ra = a.get(90, TimeUnit.SECONDS);
        HttpResponse<String> rb = b.get(90, TimeUnit.SECONDS);

        assertEquals(200, ra.statusCode(), ra.body());
        assertEquals("met", ra.body());
        assertEquals(200, rb.statusCode(), rb.body());
        assertEquals("met", rb.body());
        String s = serve.status("both");
        assertEquals(1, numbers(s, "children").size(), s);
        assertEquals(1, ForkedServe.number(s, "childrenStarted"), "one child ran both: " + s);
    }

    @Test
    @Order(3)
    void shouldStopTheChildrenAtZeroAndServeTheNextRequestFromTheWarmSpare() throws Exception {
        assertEquals(200, serve.get("/fn/lazy?q=1").statusCode());
        long first = numbers(serve.status("lazy"), "children").get(0);
        awaitStatus("lazy", "\"parked\":true");
        ProcessHandle.of(first).ifPresent(p -> p.onExit().join()); // the parked version's child stops
        assertFalse(ProcessHandle.of(first).map(ProcessHandle::isAlive).orElse(false));
        long until = System.nanoTime() + LONG;
        while (!spare().contains("\"warm\":true") && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        String before = spare();
        assertTrue(before.contains("\"warm\":true"), before);
        long sparePid = ForkedServe.number(before, "pid");
        long taken = ForkedServe.number(before, "taken");

        HttpResponse<String> r = serve.get("/fn/lazy?q=2");

        assertEquals(200, r.statusCode(), r.body());
        assertEquals("GET / q=2", r.headers().firstValue("x-echo").orElse(null));
        String s = serve.status("lazy");
        assertEquals(List.of(sparePid), numbers(s, "children"), "the spare became the route's child: " + s);
        assertEquals(1, ForkedServe.number(s, "childrenFromSpare"), s);
        String after = spare();
        assertEquals(taken + 1, ForkedServe.number(after, "taken"), after);
        until = System.nanoTime() + LONG;
        while (ForkedServe.number(spare(), "pid") == sparePid || ForkedServe.number(spare(), "pid") < 0) {
            assertTrue(System.nanoTime() < until, "a new spare starts behind the one taken: " + spare());
            Thread.sleep(50);
        }
        assertNotEquals(sparePid, ForkedServe.number(spare(), "pid"));
    }

    @Test
    @Order(4)
    void shouldLeaveNoProcessBehindWhenTheServerStops() throws Exception {
        List<ProcessHandle> children = serve.process().descendants().toList();
        assertTrue(children.size() >= 4, "children and the spare run: " + children.size());

        serve.process().destroy(); // SIGTERM: the server stops its routes and the spare
        assertTrue(serve.process().waitFor(60, TimeUnit.SECONDS), serve.err());
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (children.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < until) {
            Thread.sleep(50);
        }

        assertEquals(List.of(), children.stream().filter(ProcessHandle::isAlive)
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("")).toList());
        assertTrue(serve.out().contains("\"event\":\"stopped\"") || serve.err().contains("\"event\":\"stopped\""),
                "the server stopped in order: " + serve.err());
        Path workers = Path.of(System.getProperty("java.io.tmpdir"), "ringfence-workers-" + serve.process().pid());
        assertFalse(Files.exists(workers), "the children's work directory is removed: " + workers);
    }
}
