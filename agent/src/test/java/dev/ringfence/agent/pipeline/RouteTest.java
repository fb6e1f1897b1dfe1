package dev.ringfence.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.loader.UnloadWatch;
import dev.ringfence.samples.Hello;
import dev.ringfence.samples.budget.SleepForever;
import dev.ringfence.samples.budget.SpinLoop;
import fixtures.serve.Fails;
import fixtures.serve.FailsEveryOtherCall;
import fixtures.serve.Logs;
import fixtures.serve.Uninterruptible;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RouteTest {
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private final UnloadWatch watch = new UnloadWatch(Duration.ofMinutes(10), 0);
    private final EventLog eventLog = new EventLog(new PrintStream(logged, true, StandardCharsets.UTF_8));
    private final RouteRuntime runtime = new RouteRuntime(new MeteredExecutor("route-test", 20_000_000L, 0), watch, null,
            eventLog, HandlerLog.events(eventLog), System::nanoTime);
    private final ExecutorService callers = Executors.newCachedThreadPool();

    @AfterEach
    void close() {
        callers.shutdownNow();
        watch.close();
    }

    private Path jar(String marker) {
        return TestJars.jar(tmp.resolve(marker + "/handler.jar"), marker, Hello.class, SpinLoop.class, SleepForever.class,
                Fails.class, FailsEveryOtherCall.class, Logs.class, Uninterruptible.class);
    }

    private Path settings(String name, String text) throws Exception {
        return Files.writeString(tmp.resolve(name + ".properties"), text);
    }

    private Route route(String settingsText) throws Exception {
        Route r = new Route("r", runtime);
        ReloadReport rep = r.update(settings("first", settingsText), List.of(jar("v1")), RouteDefaults.NONE);
        assertTrue(rep.ok(), rep.message());
        return r;
    }

    private static Request request(String id) {
        return Request.builder(id).query("name", "ada").build();
    }

    private String log() {
        return logged.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldAnswerWithTheHandlersResponse() throws Exception {
        Route r = route("handler=dev.ringfence.samples.Hello\n");
        InvocationResult res = r.invoke(request("a"));
        assertEquals(Outcome.OK, res.outcome(), res.message());
        assertEquals("hello, ada", res.response().bodyAsString());
        assertEquals(r.version(), res.version());
        assertEquals(1, r.stats().requests(Outcome.OK));
    }

    @Test
    void shouldKeepThePreviousVersionAndSettingsWhenAnUpdateFails() throws Exception {
        Route r = route("handler=dev.ringfence.samples.Hello\n");
        String v1 = r.version();
        ReloadReport bad = r.update(settings("bad", "handler=dev.ringfence.samples.Hello\nmaxQueue=lots\n"),
                List.of(jar("v2")), RouteDefaults.NONE);
        assertFalse(bad.ok());
        assertTrue(bad.message().contains("maxQueue=lots"), bad.message());
        ReloadReport missing = r.update(settings("missing", "handler=com.example.Nope\n"), List.of(jar("v3")),
                RouteDefaults.NONE);
        assertFalse(missing.ok());
        assertTrue(missing.message().contains("com.example.Nope"), missing.message());
        assertEquals(v1, r.version());
        assertEquals("dev.ringfence.samples.Hello", r.settings().handler());
        assertEquals(Outcome.OK, r.invoke(request("b")).outcome());
        assertEquals(2, r.stats().reloadFailures());
        assertTrue(log().contains("\"event\":\"reload-failed\""), log());
    }

    @Test
    void shouldSwitchToANewVersionAndDrainTheOld() throws Exception {
        Route r = route("handler=dev.ringfence.samples.Hello\n");
        String v1 = r.version();
        ReloadReport rep = r.update(settings("same", "handler=dev.ringfence.samples.Hello\n"), List.of(jar("v2")),
                RouteDefaults.NONE);
        assertTrue(rep.ok(), rep.message());
        assertNotEquals(v1, r.version());
        InvocationResult res = r.invoke(request("c"));
        assertEquals(r.version(), res.version());
        assertEquals(0, r.draining(), "the old version drained: no request holds it");
        assertTrue(log().contains("\"previous\":\"" + v1 + "\""), log());
    }

    @Test
    void shouldRejectAtOnceWhenEverySlotAndQueuePlaceIsTaken() throws Exception {
        Route r = route("handler=dev.ringfence.samples.budget.SleepForever\ntimeout=5s\nmaxInflight=1\nmaxQueue=0\n");
        Future<InvocationResult> running = callers.submit(() -> r.invoke(request("sleeper")));
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (r.inflight() == 0 && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        InvocationResult rejected = r.invoke(request("late"));
        assertEquals(Outcome.REJECTED, rejected.outcome());
        assertTrue(rejected.wallNanos() < TimeUnit.SECONDS.toNanos(1), "rejected at once: " + rejected.wallNanos());
        assertEquals(503, rejected.status());
        assertEquals(1, r.retryAfterSeconds(Outcome.REJECTED));
        assertEquals(Outcome.TIMEOUT, running.get(10, TimeUnit.SECONDS).outcome());
    }

    @Test
    void shouldTimeOutAtTheDeadlineWhateverTheHandlerDoes() throws Exception {
        Route r = route("handler=dev.ringfence.samples.budget.SleepForever\ntimeout=300ms\n");
        InvocationResult res = r.invoke(request("t"));
        assertEquals(Outcome.TIMEOUT, res.outcome());
        assertEquals(504, res.status());
        assertTrue(res.message().contains("300 ms"), res.message());
        assertTrue(res.wallNanos() < TimeUnit.SECONDS.toNanos(3), "answered near the deadline: " + res.wallNanos());
        assertTrue(log().contains("\"event\":\"budget\""), log());
    }

    @Test
    void shouldOpenTheBreakerAndAnswerTheFallbackWhileOpen() throws Exception {
        Route r = route("handler=dev.ringfence.samples.budget.SpinLoop\ncpu=50ms\nbreaker.failures=2\nbreaker.openFor=1m\n"
                + "fallback.status=200\nfallback.body=degraded\n");
        assertEquals(Outcome.CPU_EXCEEDED, r.invoke(request("1")).outcome());
        assertEquals(Outcome.CPU_EXCEEDED, r.invoke(request("2")).outcome());
        assertEquals(CircuitBreaker.State.OPEN, r.breakerState());
        InvocationResult open = r.invoke(request("3"));
        assertEquals(Outcome.CIRCUIT_OPEN, open.outcome());
        assertEquals(200, open.status());
        assertEquals("degraded", open.response().bodyAsString());
        assertTrue(r.retryAfterSeconds(Outcome.CIRCUIT_OPEN) > 1);
        assertTrue(log().contains("\"event\":\"breaker\",\"route\":\"r\",\"from\":\"CLOSED\",\"to\":\"OPEN\""), log());
    }

    @Test
    void shouldQuarantineAVersionWhoseHandlerThreadWasAbandonedUntilANewVersionLoads() throws Exception {
        Path settings = settings("stuck", "handler=fixtures.serve.Uninterruptible\ntimeout=200ms\n");
        Route r = new Route("r", runtime);
        assertTrue(r.update(settings, List.of(jar("v1")), RouteDefaults.NONE).ok());
        String v1 = r.version();
        InvocationResult stuck = r.invoke(Request.builder("stuck-1").query("stuck", "").build());
        assertEquals(Outcome.TIMEOUT, stuck.outcome(), stuck.message());
        assertTrue(stuck.abandoned(), stuck.message());

        InvocationResult held = r.invoke(request("after"));
        assertEquals(Outcome.CIRCUIT_OPEN, held.outcome());
        assertEquals(503, held.status());
        assertTrue(held.message().contains("quarantined") && held.message().contains("stuck-1"), held.message());
        assertTrue(r.quarantine().quarantined());
        assertEquals(v1, r.quarantine().status().version());
        assertEquals(1, r.quarantine().quarantines());
        assertTrue(r.retryAfterSeconds(Outcome.CIRCUIT_OPEN) >= 1);
        assertTrue(log().contains("\"event\":\"quarantined\",\"route\":\"r\",\"version\":\"" + v1 + "\""), log());
        // isolation=auto would move it to a child, but these tests run from classes, not the agent jar
        assertEquals(1, r.escalations().failures());
        assertNull(r.escalations().last());
        assertTrue(log().contains("\"event\":\"escalation-failed\",\"route\":\"r\",\"version\":\"" + v1
                + "\",\"reason\":\"stuck-thread\""), log());
        assertEquals("in-process", r.runningIn());

        assertTrue(r.update(settings, List.of(jar("v1")), RouteDefaults.NONE).ok());
        assertTrue(r.quarantine().quarantined(), "the same content is the same version");
        assertTrue(r.update(settings, List.of(jar("v2")), RouteDefaults.NONE).ok());
        assertFalse(r.quarantine().quarantined(), "a new version lifts it");
        InvocationResult free = r.invoke(request("free"));
        assertEquals(Outcome.OK, free.outcome(), free.message());
        assertEquals("free", free.response().bodyAsString());
        assertTrue(log().contains("\"event\":\"quarantine-lifted\""), log());
    }

    @Test
    void shouldRetryOnlyIdempotentRoutesAfterTheHandlerRan() throws Exception {
        Route plain = route("handler=fixtures.serve.FailsEveryOtherCall\nretry.max=2\nretry.base=1ms\nretry.cap=2ms\n");
        assertEquals(Outcome.ERROR, plain.invoke(request("p")).outcome());
        assertEquals(0, plain.stats().retries());
        Route idempotent = route("handler=fixtures.serve.FailsEveryOtherCall\nretry.max=2\nretry.base=1ms\n"
                + "retry.cap=2ms\nidempotent=true\n");
        InvocationResult res = idempotent.invoke(request("i"));
        assertEquals(Outcome.OK, res.outcome(), res.message());
        assertEquals(1, idempotent.stats().retries());
        assertEquals(1, idempotent.stats().requests(Outcome.OK));
        assertEquals(0, idempotent.stats().requests(Outcome.ERROR), "one request, one record, however many attempts");
    }

    @Test
    void shouldRecordExactlyOneInvocationEventPerRequestWhateverItsOutcome() throws Exception {
        Path file = tmp.resolve("events.jfr");
        try (Recording rec = new Recording()) {
            rec.enable("ringfence.Invocation").withoutThreshold();
            rec.start();
            Route sleeper = route("handler=dev.ringfence.samples.budget.SleepForever\ntimeout=2s\nmaxInflight=1\n"
                    + "maxQueue=1\n");
            List<CompletableFuture<InvocationResult>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String id = "s" + i;
                calls.add(CompletableFuture.supplyAsync(() -> sleeper.invoke(request(id)), callers));
            }
            Route failing = route("handler=fixtures.serve.Fails\nretry.max=2\nretry.base=1ms\nretry.cap=1ms\n"
                    + "idempotent=true\n");
            assertEquals(Outcome.ERROR, failing.invoke(request("f")).outcome());
            assertEquals(2, failing.stats().retries());
            List<Outcome> outcomes = new ArrayList<>();
            for (CompletableFuture<InvocationResult> c : calls) {
                outcomes.add(c.get(10, TimeUnit.SECONDS).outcome());
            }
            assertTrue(outcomes.contains(Outcome.REJECTED) && outcomes.contains(Outcome.TIMEOUT), outcomes.toString());
            rec.stop();
            rec.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("ringfence.Invocation")).toList();
        assertEquals(5, events.size(), events.toString());
        List<String> ids = events.stream().map(e -> e.getString("requestId")).sorted().toList();
        assertEquals(List.of("f", "s0", "s1", "s2", "s3"), ids);
    }

    @Test
    void shouldAnswerErrorBeforeTheFirstVersionAndAfterRemoval() throws Exception {
        Route empty = new Route("empty", runtime);
        InvocationResult none = empty.invoke(request("n"));
        assertEquals(Outcome.ERROR, none.outcome());
        assertEquals(Route.NO_VERSION, none.version());
        Route r = route("handler=dev.ringfence.samples.Hello\n");
        r.close();
        assertNull(r.version());
        assertEquals(Outcome.ERROR, r.invoke(request("gone")).outcome());
    }

    @Test
    void shouldWriteTheHandlersLogLinesAsEvents() throws Exception {
        Route r = route("handler=fixtures.serve.Logs\n");
        assertEquals(Outcome.OK, r.invoke(request("logging")).outcome());
        assertTrue(log().contains("\"event\":\"handler-log\",\"route\":\"r\",\"requestId\":\"logging\",\"level\":\"WARN\","
                + "\"message\":\"a \\\"quoted\\\" line\"}"), log());
    }

    @Test
    void shouldScaleAnIdleRouteToZeroAndLoadItAgainOnTheNextRequest() throws Exception {
        Route r = route("handler=dev.ringfence.samples.Hello\nidle=1s\n");
        String v1 = r.version();
        assertEquals(Outcome.OK, r.invoke(request("before")).outcome());
        long now = System.nanoTime();
        assertFalse(r.parkIfIdle(now), "used just now");
        assertTrue(r.parkIfIdle(now + TimeUnit.SECONDS.toNanos(2)));
        assertTrue(r.parked());
        assertNull(r.version(), "no version loaded while parked");
        InvocationResult cold = r.invoke(request("cold"));
        assertEquals(Outcome.OK, cold.outcome(), cold.message());
        assertEquals("hello, ada", cold.response().bodyAsString());
        assertFalse(r.parked());
        assertEquals(v1, r.version(), "the same content, loaded again");
        assertEquals(1, r.stats().coldStarts());
        assertTrue(r.stats().lastColdStartNanos() > 0);
        assertTrue(log().contains("\"event\":\"parked\"") && log().contains("\"event\":\"cold-start\""), log());
    }

    @Test
    void shouldNeverParkARouteWithIdleZero() throws Exception {
        Route r = route("handler=dev.ringfence.samples.Hello\nidle=0\n");
        assertFalse(r.parkIfIdle(System.nanoTime() + TimeUnit.DAYS.toNanos(1)));
    }

    @Test
    void shouldGrowThePoolFromItsUtilisationAfterAnIntervalAndLetTheQueuedRun() throws Exception {
        ManualClock clock = new ManualClock(0);
        RouteRuntime manual = new RouteRuntime(new MeteredExecutor("pool-test", 20_000_000L, 0), watch, null, eventLog,
                HandlerLog.events(eventLog), clock);
        Route r = new Route("r", manual);
        assertTrue(r.update(settings("pool", "handler=dev.ringfence.samples.budget.SleepForever\ntimeout=2s\n"
                + "maxInflight=4\nmaxQueue=8\npool.min=1\npool.max=4\npool.interval=1s\npool.cooldown=0s\n"),
                List.of(jar("v1")), RouteDefaults.NONE).ok());
        assertEquals(1, r.poolSize(), "a new pool starts at pool.min");
        List<Future<InvocationResult>> calls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            calls.add(callers.submit(() -> r.invoke(request("c"))));
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((r.inflight() != 1 || r.queued() != 2) && System.nanoTime() < until) {
            Thread.sleep(2);
        }
        assertEquals(2, r.queued(), "two wait for the one slot");
        assertFalse(r.resizePool(clock.getAsLong() + 1), "not before an interval has passed");
        clock.advance(TimeUnit.SECONDS.toNanos(1));
        assertTrue(r.resizePool(clock.getAsLong()));
        assertEquals(4, r.poolSize(), "utilisation 3 (one running, two waiting) grows it to pool.max");
        assertTrue(log().contains("\"event\":\"pool-resize\",\"route\":\"r\",\"from\":1,\"to\":4"), log());
        assertEquals(1, r.stats().poolResizes());
        int letIn = 0;
        for (Future<InvocationResult> c : calls) {
            InvocationResult res = c.get(20, TimeUnit.SECONDS);
            assertEquals(Outcome.TIMEOUT, res.outcome());
            letIn += res.message().contains("while queued") ? 0 : 1;
        }
        assertEquals(3, letIn, "the two queued were let in at the resize, not left to expire in the queue");
        clock.advance(TimeUnit.SECONDS.toNanos(1));
        assertTrue(r.resizePool(clock.getAsLong()));
        assertEquals(2, r.poolSize(), "idle for an interval: halved, no further");
        r.close();
    }

    @Test
    void shouldKeepServingWhenANewVersionsHandlerCannotBeLinked() throws Exception {
        Route r = route("handler=dev.ringfence.samples.Hello\n");
        String before = r.version();
        // JsonEcho's signatures name Jackson's classes, which this jar does not carry
        Path noJackson = TestJars.jar(tmp.resolve("nojackson/handler.jar"), "nj", dev.ringfence.samples.JsonEcho.class);
        ReloadReport rep = r.update(settings("echo", "handler=dev.ringfence.samples.JsonEcho\n"), List.of(noJackson),
                RouteDefaults.NONE);
        assertFalse(rep.ok(), rep.message());
        assertTrue(rep.message().contains("cannot be linked"), rep.message());
        assertEquals(before, r.version(), "the previous version still serves");
        assertEquals(Outcome.OK, r.invoke(request("after")).outcome());
        r.close();
    }
}
