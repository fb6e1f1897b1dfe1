package dev.ringfence.agent.process;

import dev.ringfence.agent.pipeline.DeferredWork;
import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The messages of the channel and their encoding. Every message is one ring record whose type
 * id is one of the constants here; requests and responses start with the frame id (a number the
 * host gives each request it sends to a child), so an answer is matched to its request.
 *
 * <pre>
 * REQUEST  long frameId, long wallNanos (the deadline left when sent), str requestId, str method,
 *          str path, str remoteAddress, int n, n×(str name, str value), int q,
 *          q×(str name, int k, k×str value), bytes body
 * RESPONSE long frameId, byte flags (1 abandoned, 2 recycle, 4 has response, 8 deferred counts),
 *          [long outstanding, long batchedItems: the child's deferred work once this request's is
 *          handed over (tasks and flushes not yet ended, items in unsealed batches)], str outcome,
 *          str? message, long wallNanos, long cpuNanos, long allocatedBytes, long fuel, str version,
 *          [int status, str contentType, int n, n×(str name, str value), bytes body]
 * STOP     (empty) the child finishes and exits 0
 * REPORT   long heapUsed, long heapCommitted, long directUsed, long residentBytes (-1 when unknown):
 *          the child's memory, every 5 s, on the response ring, whether or not a request runs
 * DEFERRED str version, str? requestId, str kind, str? batch, int items, str outcome, long lagNanos,
 *          long wallNanos, long cpuNanos, long allocatedBytes, byte abandoned, str? message,
 *          long outstanding, long batchedItems: one piece of the child's deferred work ended, was
 *          dropped or refused, and the child's deferred work after it, on the response ring
 * LOAD     int n, n×str: a spare's {@code worker} arguments for the version it is to serve
 *          (handler paths, class, budgets, policy, cache; see {@link SpareChild})
 * READY, FAILED (over pipes only; the channel file has a state word instead) UTF-8 text
 * </pre>
 *
 * {@code str} is an int byte length and UTF-8 bytes ({@code str?}: length -1 for null);
 * {@code bytes} an int length and the bytes; integers little-endian (Agrona's byte order).
 * A message may be no longer than the ring's maximum ({@link ChannelFile#maxMessageBytes()}):
 * the host refuses a larger request before sending it ({@link RequestTooLargeException}) and the
 * child answers {@code ERROR} instead of a larger response. Nothing is chunked.
 */
final class Frames {
    static final int REQUEST = 1;
    static final int RESPONSE = 2;
    static final int STOP = 3;
    /** Over pipes only: the child serves; the payload is its version id (UTF-8). */
    static final int READY = 4;
    /** Over pipes only: the child could not start; the payload says why (UTF-8). */
    static final int FAILED = 5;
    /** Child to host, unasked: its memory ({@link MemoryReporter}). */
    static final int REPORT = 6;
    /** The length of a {@link #REPORT}. */
    static final int REPORT_BYTES = 32;
    /** To a spare child: the version it is to load (its worker arguments). */
    static final int LOAD = 7;
    /** Child to host, unasked: a piece of deferred work ended ({@link #encodeDeferred}). */
    static final int DEFERRED = 8;

    static final int FLAG_ABANDONED = 1;
    /** The child asks to be replaced (its serving thread is still inside a handler that tripped). */
    static final int FLAG_RECYCLE = 2;
    static final int FLAG_RESPONSE = 4;
    /** The response carries the child's deferred counts ({@link DeferredCounts}) after its flags. */
    static final int FLAG_DEFERRED = 8;
    /** Where a response's deferred counts start: after its frame id and flags. */
    private static final int COUNTS_OFFSET = 9;

    private Frames() {
    }

    /** A decoded request. */
    record RequestFrame(long frameId, long wallNanos, Request request) {
    }

    /**
     * A child's deferred work as it reported it last.
     *
     * @param outstanding tasks and flushes accepted and not yet ended (queued or running)
     * @param batchedItems items in batches not yet sealed into a flush
     */
    record DeferredCounts(long outstanding, long batchedItems) {
        /** Nothing deferred. */
        static final DeferredCounts NONE = new DeferredCounts(0, 0);
    }

    /** A decoded response. */
    record ResponseFrame(long frameId, int flags, InvocationResult result) {
    }

    static int encodeRequest(MutableDirectBuffer b, long frameId, long wallNanos, Request r) {
        int i = 0;
        b.putLong(i, frameId);
        i += 8;
        b.putLong(i, wallNanos);
        i += 8;
        i += str(b, i, r.requestId());
        i += str(b, i, r.method());
        i += str(b, i, r.path());
        i += str(b, i, r.remoteAddress());
        i = pairs(b, i, r.headers());
        b.putInt(i, r.query().size());
        i += 4;
        for (Map.Entry<String, List<String>> e : r.query().entrySet()) {
            i += str(b, i, e.getKey());
            b.putInt(i, e.getValue().size());
            i += 4;
            for (String v : e.getValue()) {
                i += str(b, i, v);
            }
        }
        return bytes(b, i, r.body());
    }

    static RequestFrame decodeRequest(DirectBuffer b, int offset) {
        Reader in = new Reader(b, offset);
        long frameId = in.int64();
        long wallNanos = in.int64();
        Request.Builder rb = Request.builder(in.str()).method(in.str()).path(in.str()).remoteAddress(in.str());
        int n = in.int32();
        for (int k = 0; k < n; k++) {
            rb.header(in.str(), in.str());
        }
        int q = in.int32();
        for (int k = 0; k < q; k++) {
            String name = in.str();
            int values = in.int32();
            for (int v = 0; v < values; v++) {
                rb.query(name, in.str());
            }
        }
        rb.body(in.bytes());
        return new RequestFrame(frameId, wallNanos, rb.build());
    }

    static int encodeResponse(MutableDirectBuffer b, long frameId, int flags, InvocationResult r) {
        return encodeResponse(b, frameId, flags, r, null);
    }

    /**
     * @param counts the child's deferred work once this request's is handed over, or null
     * @return the length
     */
    static int encodeResponse(MutableDirectBuffer b, long frameId, int flags, InvocationResult r, DeferredCounts counts) {
        Response resp = r.response();
        int i = 0;
        b.putLong(i, frameId);
        i += 8;
        b.putByte(i++, (byte) (flags | (resp != null ? FLAG_RESPONSE : 0) | (r.abandoned() ? FLAG_ABANDONED : 0)
                | (counts != null ? FLAG_DEFERRED : 0)));
        if (counts != null) {
            b.putLong(i, counts.outstanding());
            b.putLong(i + 8, counts.batchedItems());
            i += 16;
        }
        i += str(b, i, r.outcome().name());
        i += str(b, i, r.message());
        b.putLong(i, r.wallNanos());
        b.putLong(i + 8, r.cpuNanos());
        b.putLong(i + 16, r.allocatedBytes());
        b.putLong(i + 24, r.fuel());
        i += 32;
        i += str(b, i, r.version());
        if (resp != null) {
            b.putInt(i, resp.status());
            i += 4;
            i += str(b, i, resp.contentType());
            i = pairs(b, i, resp.headers());
            i = bytes(b, i, resp.body());
        }
        return i;
    }

    static ResponseFrame decodeResponse(DirectBuffer b, int offset, String requestId) {
        Reader in = new Reader(b, offset);
        long frameId = in.int64();
        int flags = in.int8();
        if ((flags & FLAG_DEFERRED) != 0) {
            in.int64();
            in.int64();
        }
        Outcome outcome = Outcome.valueOf(in.str());
        String message = in.str();
        long wall = in.int64();
        long cpu = in.int64();
        long alloc = in.int64();
        long fuel = in.int64();
        String version = in.str();
        Response resp = null;
        if ((flags & FLAG_RESPONSE) != 0) {
            int status = in.int32();
            String contentType = in.str();
            Map<String, String> headers = new LinkedHashMap<>();
            int n = in.int32();
            for (int k = 0; k < n; k++) {
                headers.put(in.str(), in.str());
            }
            resp = Response.bytes(status, in.bytes(), contentType).withHeaders(headers);
        }
        return new ResponseFrame(frameId, flags, new InvocationResult(requestId, outcome, resp, message, wall, cpu, alloc,
                fuel, version, (flags & FLAG_ABANDONED) != 0));
    }

    /**
     * @param b a response
     * @param offset where it starts
     * @return the deferred counts it carries, or null
     */
    static DeferredCounts responseCounts(DirectBuffer b, int offset) {
        if ((b.getByte(offset + 8) & FLAG_DEFERRED) == 0) {
            return null;
        }
        return new DeferredCounts(b.getLong(offset + COUNTS_OFFSET), b.getLong(offset + COUNTS_OFFSET + 8));
    }

    static int encodeDeferred(MutableDirectBuffer b, DeferredWork.Ended e, DeferredCounts after) {
        int i = 0;
        i += str(b, i, e.version());
        i += str(b, i, e.requestId());
        i += str(b, i, e.kind());
        i += str(b, i, e.batch());
        b.putInt(i, e.items());
        i += 4;
        i += str(b, i, e.outcome());
        b.putLong(i, e.lagNanos());
        b.putLong(i + 8, e.wallNanos());
        b.putLong(i + 16, e.cpuNanos());
        b.putLong(i + 24, e.allocatedBytes());
        i += 32;
        b.putByte(i++, (byte) (e.abandoned() ? 1 : 0));
        i += str(b, i, e.message());
        b.putLong(i, after.outstanding());
        b.putLong(i + 8, after.batchedItems());
        return i + 16;
    }

    /** A decoded {@link #DEFERRED} message: the piece's end and the child's deferred work after it. */
    record DeferredFrame(DeferredWork.Ended ended, DeferredCounts after) {
    }

    static DeferredFrame decodeDeferred(DirectBuffer b, int offset) {
        Reader in = new Reader(b, offset);
        String version = in.str();
        String requestId = in.str();
        String kind = in.str();
        String batch = in.str();
        int items = in.int32();
        String outcome = in.str();
        long lag = in.int64();
        long wall = in.int64();
        long cpu = in.int64();
        long alloc = in.int64();
        boolean abandoned = in.int8() != 0;
        String message = in.str();
        return new DeferredFrame(new DeferredWork.Ended(version, requestId, kind, batch, items, outcome, lag, wall, cpu,
                alloc, abandoned, message), new DeferredCounts(in.int64(), in.int64()));
    }

    static int encodeReport(MutableDirectBuffer b, ChildMemory m) {
        b.putLong(0, m.heapUsedBytes());
        b.putLong(8, m.heapCommittedBytes());
        b.putLong(16, m.directUsedBytes());
        b.putLong(24, m.residentBytes());
        return REPORT_BYTES;
    }

    /**
     * @param b the buffer
     * @param offset where the report starts
     * @param receivedAtMillis when it was read
     * @return the report
     */
    static ChildMemory decodeReport(DirectBuffer b, int offset, long receivedAtMillis) {
        return new ChildMemory(b.getLong(offset), b.getLong(offset + 8), b.getLong(offset + 16), b.getLong(offset + 24),
                receivedAtMillis);
    }

    static int encodeLoad(MutableDirectBuffer b, List<String> args) {
        b.putInt(0, args.size());
        int i = 4;
        for (String a : args) {
            i += str(b, i, a);
        }
        return i;
    }

    static List<String> decodeLoad(DirectBuffer b, int offset) {
        Reader in = new Reader(b, offset);
        int n = in.int32();
        List<String> args = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            args.add(in.str());
        }
        return args;
    }

    private static int str(MutableDirectBuffer b, int i, String s) {
        if (s == null) {
            b.putInt(i, -1);
            return 4;
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        b.putInt(i, utf8.length);
        b.putBytes(i + 4, utf8);
        return 4 + utf8.length;
    }

    private static int pairs(MutableDirectBuffer b, int i, Map<String, String> m) {
        b.putInt(i, m.size());
        i += 4;
        for (Map.Entry<String, String> e : m.entrySet()) {
            i += str(b, i, e.getKey());
            i += str(b, i, e.getValue());
        }
        return i;
    }

    private static int bytes(MutableDirectBuffer b, int i, byte[] data) {
        b.putInt(i, data.length);
        b.putBytes(i + 4, data);
        return i + 4 + data.length;
    }

    /** A cursor over one message. */
    private static final class Reader {
        private final DirectBuffer b;
        private int i;

        Reader(DirectBuffer b, int offset) {
            this.b = b;
            this.i = offset;
        }

        long int64() {
            long v = b.getLong(i);
            i += 8;
            return v;
        }

        int int32() {
            int v = b.getInt(i);
            i += 4;
            return v;
        }

        int int8() {
            return b.getByte(i++);
        }

        String str() {
            int n = int32();
            if (n < 0) {
                return null;
            }
            String s = b.getStringWithoutLengthUtf8(i, n);
            i += n;
            return s;
        }

        byte[] bytes() {
            int n = int32();
            byte[] data = new byte[n];
            b.getBytes(i, data);
            i += n;
            return data;
        }
    }
}
