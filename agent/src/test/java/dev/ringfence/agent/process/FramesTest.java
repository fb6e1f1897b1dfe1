package dev.ringfence.agent.process;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.pipeline.DeferredWork;
import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.util.List;
import java.util.Map;
import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

class FramesTest {
    @Test
    void shouldCarryADeferredPiecesEndAndTheChildsCountsAfterIt() {
        ExpandableArrayBuffer b = new ExpandableArrayBuffer(8);
        DeferredWork.Ended sent = new DeferredWork.Ended("abc123", null, "batch", "rows", 7, "TIMEOUT", 11, 22, 33, 44,
                true, "défer timed out");

        Frames.encodeDeferred(b, sent, new Frames.DeferredCounts(3, 9));
        Frames.DeferredFrame got = Frames.decodeDeferred(b, 0);

        assertEquals(sent, got.ended());
        assertEquals(new Frames.DeferredCounts(3, 9), got.after());
    }

    @Test
    void shouldCarryDeferredCountsInAResponseWithoutChangingTheResult() {
        InvocationResult r = new InvocationResult("r-1", Outcome.OK, Response.ok("fine"), null, 1, 2, 3, 4, "v1", false);
        ExpandableArrayBuffer b = new ExpandableArrayBuffer(8);

        Frames.encodeResponse(b, 5, 0, r, new Frames.DeferredCounts(2, 40));
        Frames.ResponseFrame with = Frames.decodeResponse(b, 0, "r-1");
        assertEquals(new Frames.DeferredCounts(2, 40), Frames.responseCounts(b, 0));

        Frames.encodeResponse(b, 5, 0, r);
        assertNull(Frames.responseCounts(b, 0), "an answer without counts says nothing of deferred work");
        Frames.ResponseFrame without = Frames.decodeResponse(b, 0, "r-1");

        assertEquals(5, with.frameId());
        assertEquals(without.result().outcome(), with.result().outcome());
        assertArrayEquals(without.result().response().body(), with.result().response().body());
        assertEquals("fine", new String(with.result().response().body(), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void shouldCarryAMemoryReportWithUnknownSizesAsMinusOne() {
        ExpandableArrayBuffer b = new ExpandableArrayBuffer(8);
        ChildMemory sent = new ChildMemory(5_000_000, 16_777_216, 1_048_576, -1, 0);

        int length = Frames.encodeReport(b, sent);
        ChildMemory got = Frames.decodeReport(b, 0, 1234);

        assertEquals(Frames.REPORT_BYTES, length);
        assertEquals(new ChildMemory(5_000_000, 16_777_216, 1_048_576, -1, 1234), got);
        assertEquals(got, got.withResident(-1), "a resident size the host could not read keeps the reported one");
        assertEquals(70_000_000, got.withResident(70_000_000).residentBytes());
    }

    @Test
    void shouldCarryEveryPartOfARequest() {
        byte[] body = new byte[1000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) i;
        }
        Request r = Request.builder("req-é").method("put").path("/a/b").remoteAddress("10.0.0.1:5")
                .header("X-One", "1").header("x-one", "2").header("accept", "*/*")
                .query("q", "a").query("q", "b").query("empty", "").body(body).build();
        ExpandableArrayBuffer b = new ExpandableArrayBuffer(16);
        int length = Frames.encodeRequest(b, 42, 123_456, r);

        Frames.RequestFrame f = Frames.decodeRequest(b, 0);

        assertTrue(length > body.length);
        assertEquals(42, f.frameId());
        assertEquals(123_456, f.wallNanos());
        Request d = f.request();
        assertEquals("req-é", d.requestId());
        assertEquals("PUT", d.method());
        assertEquals("/a/b", d.path());
        assertEquals("10.0.0.1:5", d.remoteAddress());
        assertEquals(Map.of("x-one", "1, 2", "accept", "*/*"), d.headers());
        assertEquals(Map.of("q", List.of("a", "b"), "empty", List.of("")), d.query());
        assertArrayEquals(body, d.body());
    }

    @Test
    void shouldCarryAResponseAndItsFigures() {
        Response resp = Response.bytes(201, new byte[] {1, 2, 3}, "application/x-test").withHeader("x-a", "b");
        InvocationResult r = new InvocationResult("id", Outcome.OK, resp, null, 11, 22, 33, -1, "abc123", false);
        ExpandableArrayBuffer b = new ExpandableArrayBuffer(16);
        Frames.encodeResponse(b, 7, 0, r);

        Frames.ResponseFrame f = Frames.decodeResponse(b, 0, "id");

        assertEquals(7, f.frameId());
        assertEquals(0, f.flags() & (Frames.FLAG_RECYCLE | Frames.FLAG_ABANDONED));
        InvocationResult d = f.result();
        assertEquals(Outcome.OK, d.outcome());
        assertNull(d.message());
        assertEquals(201, d.status());
        assertArrayEquals(new byte[] {1, 2, 3}, d.response().body());
        assertEquals("application/x-test", d.response().contentType());
        assertEquals(Map.of("x-a", "b"), d.response().headers());
        assertEquals(List.of(11L, 22L, 33L, -1L), List.of(d.wallNanos(), d.cpuNanos(), d.allocatedBytes(), d.fuel()));
        assertEquals("abc123", d.version());
        assertFalse(d.abandoned());
    }

    @Test
    void shouldCarryAFailureWithoutResponseAndItsFlags() {
        InvocationResult r = new InvocationResult("id", Outcome.TIMEOUT, null, "too slow", 1, 2, 3, 4, "v", true);
        ExpandableArrayBuffer b = new ExpandableArrayBuffer(16);
        Frames.encodeResponse(b, 9, Frames.FLAG_RECYCLE, r);

        Frames.ResponseFrame f = Frames.decodeResponse(b, 0, "id");

        assertEquals(Outcome.TIMEOUT, f.result().outcome());
        assertEquals("too slow", f.result().message());
        assertNull(f.result().response());
        assertTrue(f.result().abandoned());
        assertTrue((f.flags() & Frames.FLAG_RECYCLE) != 0);
        assertEquals(504, f.result().status());
    }
}
