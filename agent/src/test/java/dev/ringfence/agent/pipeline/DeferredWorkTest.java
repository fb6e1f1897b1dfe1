package dev.ringfence.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.Policy;
import dev.ringfence.loader.HandlerVersion;
import dev.ringfence.loader.LoadOptions;
import dev.ringfence.loader.UnloadWatch;
import fixtures.defer.BatchesItems;
import fixtures.defer.DefersWork;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deferred work (phase 2) through a real {@link Route}: fixture handlers in the sandbox, files as their signals. */
class DeferredWorkTest {
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private final UnloadWatch watch = new UnloadWatch(Duration.ofMinutes(10), 0);
    private final EventLog eventLog = new EventLog(new PrintStream(logged, true, StandardCharsets.UTF_8));
    private final RouteRuntime runtime = new RouteRuntime(new MeteredExecutor("defer-test", 20_000_000L, 0), watch, null,
            eventLog, HandlerLog.events(eventLog), System::nanoTime);
    private Route route;

    @AfterEach
    void close() throws Exception {
        if (route != null) {
            Files.writeString(tmp.resolve("signals/release"), "x");
            route.close();
            route.deferred().awaitDrained(TimeUnit.SECONDS.toNanos(30));
        }
        watch.close();
    }

    private Path signals() throws Exception {
        return Files.createDirectories(tmp.resolve("signals"));
    }

    private Route route(String handler, String settings) throws Exception {
        Path dir = signals();
        Path jar = TestJars.jar(tmp.resolve("v1/handler.jar"), "v1", DefersWork.class, BatchesItems.class);
        Path file = Files.writeString(tmp.resolve("route.properties"), "handler=" + handler + "\npolicy.read=" + dir
                + "\npolicy.write=" + dir + "\n" + settings);
        route = new Route("d", runtime);
        ReloadReport rep = route.update(file, List.of(jar), RouteDefaults.NONE);
        assertTrue(rep.ok(), rep.message());
        return route;
    }

    private Request request(String id, String query) throws Exception {
        Request.Builder b = Request.builder(id).query("dir", signals().toString());
        for (String kv : query.split("&")) {
            if (!kv.isEmpty()) {
                String[] p = kv.split("=", 2);
                b.query(p[0], p[1]);
            }
        }
        return b.build();
    }

    private void release() throws Exception {
        Files.writeString(signals().resolve("release"), "x");
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < until, "waited in vain for " + what);
            Thread.sleep(5);
        }
    }

    private String log() {
        return logged.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldAnswerBeforeTheDeferredTaskStartsAndNeverWaitForIt() throws Exception {
        Route r = route("fixtures.defer.DefersWork", "");
        Path started = signals().resolve("started-first-0");
        AtomicReference<Boolean> startedAtAnswer = new AtomicReference<>();
        AtomicReference<Integer> queuedAtAnswer = new AtomicReference<>();
        AtomicReference<InvocationResult> answer = new AtomicReference<>();
        r.invoke(request("first", ""), res -> {
            startedAtAnswer.set(Files.exists(started));
            queuedAtAnswer.set(r.deferred().queued());
            answer.set(res);
        });
        assertEquals(Outcome.OK, answer.get().outcome(), answer.get().message());
        assertEquals("true", answer.get().response().bodyAsString());
        assertFalse(startedAtAnswer.get(), "the task had not started when the answer was given");
        assertEquals(1, queuedAtAnswer.get(), "accepted and staged, waiting for the answer");
        // the task now waits for the release file, which only this test writes: the answer did not wait for it
        await("the task to start", () -> Files.exists(started));
        assertEquals(0, r.deferred().stats().ran());
        assertEquals(1, r.deferred().running());
        release();
        await("the task to end", () -> r.deferred().stats().ran() == 1);
        assertEquals(1, r.deferred().stats().ended(Outcome.OK));
        assertTrue(Files.exists(signals().resolve("done-first-0")));
        assertEquals(1, r.deferred().stats().accepted());
        assertEquals(1, Arrays.stream(r.deferred().stats().lagBucketCounts()).sum(), "one lag recorded");
        assertEquals(1, r.stats().requests(Outcome.OK));
    }

    @Test
    void shouldStopARunawayDeferredTaskByItsOwnBudgetsWithoutTouchingTheResponse() throws Exception {
        Route r = route("fixtures.defer.DefersWork", "cpu=5s\ndefer.cpu=50ms\ndefer.timeout=20s\n");
        InvocationResult res = r.invoke(request("spin", "task=spin"));
        assertEquals(Outcome.OK, res.outcome(), res.message());
        assertEquals("true", res.response().bodyAsString());
        await("the spinning task to be stopped", () -> r.deferred().stats().ran() == 1);
        assertEquals(1, r.deferred().stats().ended(Outcome.CPU_EXCEEDED));
        assertTrue(log().contains("\"event\":\"deferred-failed\",\"route\":\"d\"") && log().contains("\"outcome\":\"CPU_EXCEEDED\""),
                log());
        assertFalse(Files.exists(signals().resolve("done-spin-0")));

        r.update(Files.writeString(tmp.resolve("route.properties"), "handler=fixtures.defer.DefersWork\npolicy.read="
                + signals() + "\npolicy.write=" + signals() + "\ndefer.timeout=200ms\n"), List.of(tmp.resolve("v1/handler.jar")),
                RouteDefaults.NONE);
        InvocationResult slept = r.invoke(request("sleep", "task=sleep"));
        assertEquals(Outcome.OK, slept.outcome(), slept.message());
        await("the sleeping task to time out", () -> r.deferred().stats().ran() == 2);
        assertEquals(1, r.deferred().stats().ended(Outcome.TIMEOUT));
        assertEquals(2, r.deferred().stats().failed());
        assertEquals(2, r.stats().requests(Outcome.OK), "both requests answered OK, whatever their tasks did");
        assertEquals(2, r.stats().requests(), "and nothing else");
    }

    @Test
    void shouldAbandonAndCountADeferredThreadThatNeverStops() throws Exception {
        Route r = route("fixtures.defer.DefersWork", "defer.timeout=200ms\n");
        assertEquals(Outcome.OK, r.invoke(request("stuck", "task=stuck")).outcome());
        await("the stuck task to be answered", () -> r.deferred().stats().ran() == 1);
        assertEquals(1, r.deferred().stats().ended(Outcome.TIMEOUT));
        assertEquals(1, r.stats().abandoned(), "counted with the route's abandoned threads");
        assertTrue(log().contains("\"abandoned\":true"), log());
        assertEquals(0, r.deferred().running(), "the deferred worker moved on");
        assertEquals(Outcome.OK, r.invoke(request("after", "task=none")).outcome(), "no quarantine for deferred work");
        await("the next task", () -> r.deferred().stats().ended(Outcome.OK) == 1);
    }

    @Test
    void shouldRefuseCountAndLogWhatTheQueueCannotHold() throws Exception {
        Route r = route("fixtures.defer.DefersWork", "defer.maxQueue=2\ndefer.workers=1\n");
        InvocationResult res = r.invoke(request("full", "count=3"));
        assertEquals(Outcome.OK, res.outcome(), res.message());
        assertEquals("true,true,false", res.response().bodyAsString(), "the third found the queue full and was told");
        assertEquals(1, r.deferred().stats().rejected());
        assertTrue(log().contains("\"event\":\"deferred-rejected\",\"route\":\"d\"")
                && log().contains("defer.maxQueue=2"), log());
        release();
        await("the two accepted to run", () -> r.deferred().stats().ran() == 2);
        assertEquals(2, r.deferred().stats().ended(Outcome.OK));
        assertFalse(Files.exists(signals().resolve("started-full-2")), "the refused task never ran");
    }

    @Test
    void shouldRunTheDeferredTaskOfACallerWhoseRequestTimedOut() throws Exception {
        Route r = route("fixtures.defer.DefersWork", "timeout=200ms\nretry.max=0\n");
        InvocationResult res = r.invoke(request("late", "task=none&then=sleep"));
        assertEquals(Outcome.TIMEOUT, res.outcome(), res.message());
        await("the deferred task of the timed-out request", () -> r.deferred().stats().ran() == 1);
        assertEquals(1, r.deferred().stats().ended(Outcome.OK));
        assertTrue(Files.exists(signals().resolve("done-late-0")), "zero lost: the task ran");
    }

    @Test
    void shouldDrainOnRemovalWithinItsBoundAndHoldTheVersionMeanwhile() throws Exception {
        Route r = route("fixtures.defer.DefersWork", "defer.workers=1\ndefer.drain=1m\n");
        assertEquals("true,true,true", r.invoke(request("drain", "count=3")).response().bodyAsString());
        await("the first task to start", () -> Files.exists(tmp.resolve("signals/started-drain-0")));
        r.close();
        assertEquals(1, r.draining(), "the removed version stays loaded while its deferred work runs");
        assertEquals(Outcome.ERROR, r.invoke(request("after", "")).outcome());
        release();
        assertTrue(r.deferred().awaitDrained(TimeUnit.SECONDS.toNanos(30)));
        assertEquals(3, r.deferred().stats().ended(Outcome.OK), "everything queued ran within defer.drain");
        assertEquals(0, r.draining(), "then the version retired");
    }

    @Test
    void shouldDropWhatHasNotStartedWhenTheDrainBoundPasses() throws Exception {
        Route r = route("fixtures.defer.DefersWork", "defer.workers=1\ndefer.drain=0s\n");
        assertEquals("true,true,true", r.invoke(request("cut", "count=3")).response().bodyAsString());
        await("the first task to start", () -> Files.exists(tmp.resolve("signals/started-cut-0")));
        r.close();
        release();
        assertTrue(r.deferred().awaitDrained(TimeUnit.SECONDS.toNanos(30)));
        assertEquals(1, r.deferred().stats().ended(Outcome.OK), "the running one finished");
        assertEquals(2, r.deferred().stats().dropped(), "the queued ones were dropped, counted");
        assertTrue(log().contains("\"event\":\"deferred-dropped\",\"route\":\"d\""), log());
        assertEquals(r.deferred().stats().accepted(), r.deferred().stats().ran() + r.deferred().stats().dropped());
        assertEquals(0, r.draining());
    }

    @Test
    void shouldFlushABatchWhenItReachesItsSize() throws Exception {
        Route r = route("fixtures.defer.BatchesItems", "defer.batch.size=3\ndefer.batch.linger=60m\n");
        for (String item : List.of("a", "b", "c", "d")) {
            assertEquals("true", r.invoke(request("i-" + item, "item=" + item)).response().bodyAsString());
        }
        Path first = signals().resolve("batch-1");
        await("the first batch", () -> Files.exists(first) && r.deferred().stats().ran() == 1);
        assertEquals("a,b,c", Files.readString(first), "one flush of the first three, in order");
        assertFalse(Files.exists(signals().resolve("batch-2")), "d waits for more items or the linger");
        assertEquals(1, r.deferred().stats().batches());
        assertEquals(3, r.deferred().stats().batchItems());
        r.close();
        assertTrue(r.deferred().awaitDrained(TimeUnit.SECONDS.toNanos(30)));
        assertEquals("d", Files.readString(signals().resolve("batch-2")), "the drain flushed what was pending");
    }

    @Test
    void shouldFlushABatchWhenItsOldestItemHasLingered() throws Exception {
        Route r = route("fixtures.defer.BatchesItems", "defer.batch.size=1000\ndefer.batch.linger=100ms\n");
        assertEquals("true", r.invoke(request("x", "item=x")).response().bodyAsString());
        assertEquals("true", r.invoke(request("y", "item=y")).response().bodyAsString());
        // size 1000 is never reached: only the linger flushes (once, or twice when the machine
        // stalled longer than the linger between the two requests)
        await("the lingered batches", () -> r.deferred().stats().batchItems() == 2
                && r.deferred().stats().ran() == r.deferred().stats().batches());
        assertEquals(r.deferred().stats().batches(), r.deferred().stats().ended(Outcome.OK));
        StringBuilder flushed = new StringBuilder();
        for (int n = 1; n <= r.deferred().stats().batches(); n++) {
            flushed.append(n == 1 ? "" : ",").append(Files.readString(signals().resolve("batch-" + n)));
        }
        assertEquals("x,y", flushed.toString(), "each item once, in order");
    }

    @Test
    void shouldFlushEachVersionsItemsWithThatVersionsFlushAndHoldItUntilThen() throws Exception {
        Path file = tmp.resolve("versions.jfr");
        String v1;
        String v2;
        try (Recording rec = new Recording()) {
            rec.enable("ringfence.Deferred").withoutThreshold();
            rec.start();
            Route r = route("fixtures.defer.BatchesItems", "defer.batch.size=1000\ndefer.batch.linger=60m\n");
            v1 = r.version();
            assertEquals("true", r.invoke(request("a", "item=a")).response().bodyAsString());
            Path jar2 = TestJars.jar(tmp.resolve("v2/handler.jar"), "v2", DefersWork.class, BatchesItems.class);
            assertTrue(r.update(tmp.resolve("route.properties"), List.of(jar2), RouteDefaults.NONE).ok());
            v2 = r.version();
            assertEquals(1, r.draining(), "v1 stays loaded: its batch still holds an item");
            assertEquals("true", r.invoke(request("b", "item=b")).response().bodyAsString());
            r.close();
            assertTrue(r.deferred().awaitDrained(TimeUnit.SECONDS.toNanos(30)));
            assertEquals(2, r.deferred().stats().ended(Outcome.OK));
            assertEquals(0, r.draining(), "both versions retired once their batches were flushed");
            rec.stop();
            rec.dump(file);
        }
        List<String> flushedBy = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("ringfence.Deferred"))
                .map(e -> e.getString("version") + ":" + e.getString("batch") + ":" + e.getInt("items")).sorted().toList();
        assertEquals(List.of(v1 + ":items:1", v2 + ":items:1").stream().sorted().toList(), flushedBy,
                "each version's item flushed in its own sandbox");
    }

    @Test
    void shouldEmitOneDeferredEventPerPiece() throws Exception {
        Path file = tmp.resolve("deferred.jfr");
        try (Recording rec = new Recording()) {
            rec.enable("ringfence.Deferred").withoutThreshold();
            rec.start();
            Route r = route("fixtures.defer.DefersWork", "defer.maxQueue=1\n");
            assertEquals("true,false", r.invoke(request("jfr", "task=none&count=2")).response().bodyAsString());
            await("the task", () -> r.deferred().stats().ran() == 1);
            rec.stop();
            rec.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("ringfence.Deferred")).toList();
        assertEquals(2, events.size(), events.toString());
        assertEquals(List.of("OK", "REJECTED"), events.stream().map(e -> e.getString("outcome")).sorted().toList());
        assertTrue(events.stream().allMatch(e -> e.getString("requestId").equals("jfr") && e.getString("kind").equals("task")));
    }

    @Test
    void shouldRefuseDeferredWorkThatDefersMore() throws Exception {
        Route r = route("fixtures.defer.DefersWork", "");
        assertEquals("true", r.invoke(request("nest", "task=nest")).response().bodyAsString());
        await("the task", () -> r.deferred().stats().ran() == 1);
        assertEquals("false", Files.readString(signals().resolve("nested-nest-0")));
        assertEquals(1, r.deferred().stats().rejected());
        assertEquals(1, r.deferred().stats().accepted(), "the nested task was never queued");
        assertTrue(log().contains("deferred work cannot defer more work"), log());
    }

    @Test
    void shouldRefuseDeferralWhereTheRuntimeOffersNone() throws Exception {
        route("fixtures.defer.DefersWork", "");
        // the invoke command's path: an InProcessRoute without a route around it
        InProcessRoute bare = InProcessRoute.open("bare", HandlerVersion.load(List.of(tmp.resolve("v1/handler.jar")),
                LoadOptions.of(Policy.DENY_ALL)), "fixtures.defer.DefersWork", new Budgets(TimeUnit.SECONDS.toNanos(5), 0, 0, 0),
                runtime.executor(), HandlerLog.events(eventLog));
        InvocationResult res = bare.invoke(Request.builder("bare").query("task", "none").build());
        assertEquals(Outcome.ERROR, res.outcome());
        assertTrue(res.message().contains("deferred work needs a route served by ringfence serve"), res.message());
    }
}
