package dev.ringfence.samples.budget;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Retries a failing busy job forever, catching {@link Throwable} around each attempt: the way
 * hostile (or merely careless) code would try to survive whatever the sandbox throws at it. Each
 * attempt spins a million iterations and then fails with an ordinary exception, so the catch
 * block is also exercised by normal control flow.
 *
 * <p>Outcome: {@code TIMEOUT} under {@code --timeout 2s}, {@code CPU_EXCEEDED} under
 * {@code --cpu 500ms}, {@code FUEL_EXCEEDED} under {@code --fuel N}; the budget trip is never
 * swallowed and the thread unwinds (it is not abandoned). Never ends without a budget.
 */
public class CatchThrowableRetry implements Handler {
    static volatile long spins;

    /** Creates the handler. */
    public CatchThrowableRetry() {
    }

    @Override
    public Response handle(Request request, Context context) {
        while (true) {
            try {
                spin(1_000_000);
                throw new IllegalStateException("attempt failed");
            } catch (Throwable t) {
                // retry, whatever was thrown
            }
        }
    }

    private static void spin(long iterations) {
        for (long i = 0; i < iterations; i++) {
            spins++;
        }
    }
}
