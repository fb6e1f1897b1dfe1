package dev.ringfence.samples.budget;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Allocates 200 MB inside one JDK call ({@code "x".repeat(200_000_000)}) and then returns
 * normally, with no loop or call in handler code between the allocation and the return: only the
 * check made when the handler returns can see it.
 *
 * <p>Outcome: {@code ALLOC_EXCEEDED} under {@code --alloc 64m} (with or without
 * {@code --timeout 2s}). Without an allocation budget (and with a heap that holds 200 MB) it ends
 * {@code OK} with the body {@code 200000000}. Do not combine it with a tight {@code --cpu}: on a
 * cold heap filling 200 MB can take more than 500 ms of CPU, and then {@code CPU_EXCEEDED} wins.
 */
public class OneBigJdkAllocation implements Handler {
    /** Creates the handler. */
    public OneBigJdkAllocation() {
    }

    @Override
    public Response handle(Request request, Context context) {
        String big = "x".repeat(200_000_000);
        return Response.ok(Integer.toString(big.length()));
    }
}
