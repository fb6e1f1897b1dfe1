package dev.ringfence.samples;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * A realistic CPU-bound job: counts the primes up to {@code n} (query parameter, default
 * {@value #DEFAULT_LIMIT}) with a sieve of Eratosthenes and answers the count as text
 * ({@code 1229} for the default).
 *
 * <p>Outcome: {@code OK} with the default under {@code --timeout 2s}, {@code --cpu 500ms},
 * {@code --fuel 1000000} and {@code --alloc 64m} (it takes about 27,000 ticks, a few ms and a
 * 10 KB sieve). With {@code n=100000000} (about a second of CPU, a 100 MB sieve) it ends
 * {@code CPU_EXCEEDED} under {@code --cpu 500ms}, {@code FUEL_EXCEEDED} under
 * {@code --fuel 1000000}, and {@code ALLOC_EXCEEDED} under {@code --alloc 64m} before the sieve
 * is allocated. A value that is not a number, or is negative, is answered 400.
 */
public class Compute implements Handler {
    /** The limit used when the request names none. */
    public static final int DEFAULT_LIMIT = 10_000;

    /** Creates the handler. */
    public Compute() {
    }

    @Override
    public Response handle(Request request, Context context) {
        String param = request.queryParam("n");
        int limit;
        try {
            limit = param == null ? DEFAULT_LIMIT : Integer.parseInt(param.trim());
        } catch (NumberFormatException e) {
            return Response.of(400, "n must be an integer: " + param);
        }
        if (limit < 0 || limit == Integer.MAX_VALUE) {
            return Response.of(400, "n must be between 0 and " + (Integer.MAX_VALUE - 1) + ": " + limit);
        }
        return Response.ok(Integer.toString(countPrimes(limit)));
    }

    /**
     * Counts the primes up to and including a limit.
     *
     * @param limit the limit, at least 0 and below {@link Integer#MAX_VALUE}
     * @return how many primes are {@code <= limit}
     */
    public static int countPrimes(int limit) {
        if (limit < 2) {
            return 0;
        }
        boolean[] composite = new boolean[limit + 1];
        int count = 0;
        for (int i = 2; i <= limit; i++) {
            if (!composite[i]) {
                count++;
                for (long j = (long) i * i; j <= limit; j += i) {
                    composite[(int) j] = true;
                }
            }
        }
        return count;
    }
}
