package dev.ringfence.samples.budget;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Sleeps for {@link Long#MAX_VALUE} milliseconds, once, without catching anything.
 *
 * <p>Outcome: {@code TIMEOUT} under {@code --timeout 2s}: the deadline interrupts the sleep and
 * the thread unwinds (it is not abandoned). It uses no CPU and no ticks, so {@code --cpu} or
 * {@code --fuel} alone never stop it: always give it a {@code --timeout}.
 */
public class SleepForever implements Handler {
    /** Creates the handler. */
    public SleepForever() {
    }

    @Override
    public Response handle(Request request, Context context) throws InterruptedException {
        Thread.sleep(Long.MAX_VALUE);
        return Response.ok("woke up");
    }
}
