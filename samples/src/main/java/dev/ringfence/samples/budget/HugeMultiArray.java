package dev.ringfence.samples.budget;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Allocates a {@code long[n][n]} with {@code n = 100000} (query {@code n}): 10<sup>10</sup> longs,
 * 80 GB, in one multi-dimensional allocation whose outer array alone is small.
 *
 * <p>Outcome: {@code ALLOC_EXCEEDED} under {@code --alloc 64m}, refused before anything is
 * allocated (the instrumenter multiplies the dimensions). Run it only with an allocation budget:
 * without one the JVM allocates row after row until the heap is full.
 */
public class HugeMultiArray implements Handler {
    /** Creates the handler. */
    public HugeMultiArray() {
    }

    @Override
    public Response handle(Request request, Context context) {
        String param = request.queryParam("n");
        int n = param == null ? 100_000 : Integer.parseInt(param);
        long[][] grid = new long[n][n];
        return Response.ok("allocated " + grid.length + " x " + grid[0].length + " longs");
    }
}
