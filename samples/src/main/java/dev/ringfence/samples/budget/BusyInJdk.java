package dev.ringfence.samples.budget;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.util.Arrays;

/**
 * Sorts a copy of the same 200,000 pseudo-random longs forever. Nearly all the time goes to
 * {@link Arrays#sort(long[])}, inside the JDK, where no tick is counted: the handler code
 * spends about one tick per sort of some 10 ms.
 *
 * <p>Outcome: {@code CPU_EXCEEDED} under {@code --cpu 500ms}, {@code TIMEOUT} under
 * {@code --timeout 2s}; the trip is seen at the next call of {@code sortCopy}, so the thread
 * unwinds within one sort (it is not abandoned). Fuel does not count JDK work: filling the array
 * costs about 200,000 ticks, then each sort about one, so {@code --fuel 1000000} would take hours
 * (a fuel budget below 200,000 ends {@code FUEL_EXCEEDED} while filling). It allocates only its two
 * arrays (3.2 MB), so {@code --alloc 64m} is not reached. Never ends without a budget.
 */
public class BusyInJdk implements Handler {
    private static final int LENGTH = 200_000;

    /** Creates the handler. */
    public BusyInJdk() {
    }

    @Override
    public Response handle(Request request, Context context) {
        long[] shuffled = new long[LENGTH];
        long x = 42;
        for (int i = 0; i < LENGTH; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            shuffled[i] = x;
        }
        long[] work = new long[LENGTH];
        while (true) {
            sortCopy(shuffled, work);
        }
    }

    private static void sortCopy(long[] from, long[] to) {
        System.arraycopy(from, 0, to, 0, from.length);
        Arrays.sort(to);
    }
}
