package dev.ringfence.samples.budget;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Spins forever, and when anything (a budget trip) ends the spinning, spins forever again in
 * {@code finally}: an attempt to keep the thread busy after the sandbox has given up on it.
 *
 * <p>Outcome: {@code TIMEOUT} under {@code --timeout 2s}, {@code CPU_EXCEEDED} under
 * {@code --cpu 500ms}, {@code FUEL_EXCEEDED} under {@code --fuel N}; the {@code finally} loop is
 * cut short by the same trip and the thread unwinds (it is not abandoned). Never ends without a
 * budget.
 */
public class FinallyLoop implements Handler {
    static volatile long spins;

    /** Creates the handler. */
    public FinallyLoop() {
    }

    @Override
    @SuppressWarnings("finally") // the finally block never completing is the point
    public Response handle(Request request, Context context) {
        try {
            while (true) {
                spins++;
            }
        } finally {
            while (true) {
                // keep the thread
            }
        }
    }
}
