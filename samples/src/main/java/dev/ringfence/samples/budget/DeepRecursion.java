package dev.ringfence.samples.budget;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Recurses without end until the thread's stack overflows.
 *
 * <p>Outcome: {@code STACK_EXCEEDED}, with or without other budgets ({@code --timeout 2s},
 * {@code --cpu 500ms}, {@code --alloc 64m} are not reached first). Under a small {@code --fuel}
 * (below the depth the stack allows, some tens of thousands of calls) it ends
 * {@code FUEL_EXCEEDED} instead, since every call is a tick.
 */
public class DeepRecursion implements Handler {
    /** Creates the handler. */
    public DeepRecursion() {
    }

    @Override
    public Response handle(Request request, Context context) {
        return Response.ok("returned from depth " + descend(0));
    }

    private static int descend(int depth) {
        return descend(depth + 1) + 1;
    }
}
