package dev.ringfence.samples.budget;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Allocates one {@code long[Integer.MAX_VALUE - 16]} (16 GiB) in handler code. The length is
 * computed at run time, so neither javac nor the instrumenter can see it as a constant.
 *
 * <p>Outcome: {@code ALLOC_EXCEEDED} under {@code --alloc 64m}, refused before anything is
 * allocated. Without an allocation budget the JVM throws {@link OutOfMemoryError} at once (the
 * heap cannot hold it: this assumes a heap below 16 GiB), which the sandbox also reports as
 * {@code ALLOC_EXCEEDED}.
 */
public class HugeArray implements Handler {
    /** Creates the handler. */
    public HugeArray() {
    }

    @Override
    public Response handle(Request request, Context context) {
        int length = Integer.MAX_VALUE - headroom(request);
        long[] huge = new long[length];
        return Response.ok("allocated " + huge.length + " longs");
    }

    /** The JVM's array header headroom, unless the caller asks for another (query {@code headroom}). */
    private static int headroom(Request request) {
        String h = request.queryParam("headroom");
        return h == null ? 16 : Integer.parseInt(h);
    }
}
