package dev.ringfence.samples.budget;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Recurses without end, and every frame that sees a {@link StackOverflowError} catches it and
 * recurses again. Outside the sandbox this runs for an astronomically long time: each frame near
 * the stack's end retries, so the number of calls doubles with every frame of depth it unwinds.
 *
 * <p>Outcome: {@code STACK_EXCEEDED} under any budget (the first caught overflow trips it); with
 * a small {@code --fuel} (below the depth the stack allows) {@code FUEL_EXCEEDED}.
 */
public class RecursionCatchesStackOverflow implements Handler {
    /** Creates the handler. */
    public RecursionCatchesStackOverflow() {
    }

    @Override
    public Response handle(Request request, Context context) {
        return Response.ok("returned from depth " + descend(0));
    }

    private static int descend(int depth) {
        try {
            return descend(depth + 1) + 1;
        } catch (StackOverflowError e) {
            return descend(depth + 1) + 1;
        }
    }
}
