package dev.ringfence.samples.budget;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Spins forever inside {@code try} and returns a normal response from {@code finally}: in plain
 * Java a {@code return} in {@code finally} discards whatever was being thrown, so this is an
 * attempt to turn a budget trip into a success.
 *
 * <p>Outcome: {@code TIMEOUT} under {@code --timeout 2s}, {@code CPU_EXCEEDED} under
 * {@code --cpu 500ms}, {@code FUEL_EXCEEDED} under {@code --fuel N} — never {@code OK} with the
 * body {@code swallowed}. Never ends without a budget.
 */
public class FinallyReturn implements Handler {
    static volatile long spins;

    /** Creates the handler. */
    public FinallyReturn() {
    }

    @Override
    @SuppressWarnings("finally") // discarding the exception is the point
    public Response handle(Request request, Context context) {
        try {
            while (true) {
                spins++;
            }
        } finally {
            return Response.ok("swallowed");
        }
    }
}
