package dev.ringfence.samples.budget;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Sleeps 50 ms at a time forever, catching every {@link InterruptedException} and going on, so
 * that interrupting the thread alone cannot stop it.
 *
 * <p>Outcome: {@code TIMEOUT} under {@code --timeout 2s}, and the thread unwinds (it is not
 * abandoned): the catch block is guarded. It uses almost no CPU and very few ticks, so
 * {@code --cpu} or {@code --fuel} alone never stop it: always give it a {@code --timeout}.
 */
public class SwallowInterrupts implements Handler {
    /** Creates the handler. */
    public SwallowInterrupts() {
    }

    @Override
    public Response handle(Request request, Context context) {
        while (true) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                // swallowed on purpose: this handler refuses to stop
            }
        }
    }
}
