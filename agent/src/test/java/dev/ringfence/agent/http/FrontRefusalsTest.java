package dev.ringfence.agent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.agent.pipeline.HandlerLog;
import dev.ringfence.agent.pipeline.Route;
import dev.ringfence.agent.pipeline.RouteRuntime;
import dev.ringfence.api.Outcome;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.loader.UnloadWatch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FrontRefusalsTest {
    @TempDir
    Path tmp;

    private final UnloadWatch watch = new UnloadWatch(Duration.ofMinutes(10), 0);
    private final RouteRuntime runtime = new RouteRuntime(new MeteredExecutor("front-test", 20_000_000L, 0), watch, null,
            EventLog.NONE, HandlerLog.events(EventLog.NONE), System::nanoTime);
    private final FrontRefusals refusals = new FrontRefusals();

    @AfterEach
    void close() {
        watch.close();
    }

    @Test
    void shouldRecordOneInvocationEventPerRefusal() throws Exception {
        Route small = new Route("small", runtime);
        Path file = tmp.resolve("front.jfr");
        try (Recording rec = new Recording()) {
            rec.enable("ringfence.Invocation").withoutThreshold();
            rec.start();
            refusals.notFound("nope", "q-404", 1_000, "no route named nope");
            refusals.bodyTooLarge(small, "q-413", 2_000, "the body is larger");
            rec.stop();
            rec.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        assertEquals(2, events.size(), events.toString());
        RecordedEvent notFound = events.stream().filter(e -> e.getString("requestId").equals("q-404")).findFirst().orElseThrow();
        assertEquals("nope", notFound.getString("route"));
        assertEquals("NOT_FOUND", notFound.getString("outcome"));
        assertEquals(Route.NO_VERSION, notFound.getString("version"));
        RecordedEvent tooLarge = events.stream().filter(e -> e.getString("requestId").equals("q-413")).findFirst().orElseThrow();
        assertEquals("small", tooLarge.getString("route"));
        assertEquals("BODY_TOO_LARGE", tooLarge.getString("outcome"));
        assertEquals(2_000L, tooLarge.getLong("wallNanos"));
    }

    @Test
    void shouldCountA404ForTheServerAndA413ForItsRoute() {
        Route small = new Route("small", runtime);

        refusals.notFound("nope", "a", 1, "m");
        refusals.notFound("other", "b", 1, "m");
        refusals.bodyTooLarge(small, "c", 1, "m");

        assertEquals(2, refusals.notFound());
        assertEquals(1, small.stats().bodyTooLarge());
        assertEquals(1, small.stats().requests(), "a 413 is one of the route's requests");
        assertEquals(0, small.stats().requests(Outcome.REJECTED));
        assertEquals(1, small.stats().percentiles().count());
    }

    @Test
    void shouldCutAnUnknownRoutesNameToTheLongestARouteCanHave() {
        String name = "x".repeat(10_000);

        String cut = FrontRefusals.cut(name);

        assertEquals(FrontRefusals.MAX_ROUTE_CHARS + 1, cut.length());
        assertTrue(cut.endsWith("…"));
        assertEquals("short", FrontRefusals.cut("short"));
        assertFalse(FrontRefusals.cut("y".repeat(64)).endsWith("…"));
    }

    @Test
    void shouldRecordARequestTheFrontAnsweredItselfForItsRouteOrByTheNameGiven() throws Exception {
        dev.ringfence.agent.pipeline.RouteTable table = new dev.ringfence.agent.pipeline.RouteTable(runtime);
        Route known = table.getOrAdd("known");
        Path file = tmp.resolve("drain.jfr");
        try (Recording rec = new Recording()) {
            rec.enable("ringfence.Invocation").withoutThreshold();
            rec.start();
            refusals.answeredByFront(table, "known", "d-1", Outcome.REJECTED, 3_000, "the server is shutting down");
            refusals.answeredByFront(table, "gone", "d-2", Outcome.ERROR, 4_000, "the server failed");
            rec.stop();
            rec.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        assertEquals(2, events.size(), events.toString());
        RecordedEvent drained = events.stream().filter(e -> e.getString("requestId").equals("d-1")).findFirst().orElseThrow();
        assertEquals("known", drained.getString("route"));
        assertEquals("REJECTED", drained.getString("outcome"));
        RecordedEvent failed = events.stream().filter(e -> e.getString("requestId").equals("d-2")).findFirst().orElseThrow();
        assertEquals("gone", failed.getString("route"));
        assertEquals("ERROR", failed.getString("outcome"));
        assertEquals(1, known.stats().requests(Outcome.REJECTED), "counted for the route that exists");
        table.closeAll();
    }
}
