package dev.ringfence.samples.budget;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Spins forever incrementing a volatile counter, in handler code.
 *
 * <p>Outcome: {@code TIMEOUT} under {@code --timeout 2s}, {@code CPU_EXCEEDED} under
 * {@code --cpu 500ms}, {@code FUEL_EXCEEDED} under {@code --fuel N} (after about {@code N}
 * iterations); with several budgets, whichever runs out first. Never ends without a budget.
 */
public class SpinLoop implements Handler {
    /** Volatile so that every iteration is a real memory write the JIT cannot remove. */
    static volatile long spins;

    /** Creates the handler. */
    public SpinLoop() {
    }

    @Override
    public Response handle(Request request, Context context) {
        while (true) {
            spins++;
        }
    }
}
