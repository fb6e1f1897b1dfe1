package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sums a list of 100 000 numbers with {@code parallelStream().forEach}, which forks onto the common pool.
 *
 * <p>Outcome: {@code DENIED} under the default policy. Answers {@code OK} with the body
 * {@code escaped} only if the gate did not hold.
 */
public class ParallelStream implements Handler {
    /** Creates the handler. */
    public ParallelStream() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        List<Integer> numbers = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            numbers.add(i);
        }
        AtomicLong sum = new AtomicLong();
        numbers.parallelStream().forEach(sum::addAndGet);
        return Response.ok("escaped " + sum.get());
    }
}
