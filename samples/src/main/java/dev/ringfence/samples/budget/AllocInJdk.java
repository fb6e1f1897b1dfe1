package dev.ringfence.samples.budget;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Grows a {@link StringBuilder} forever. Handler code never allocates an array itself: every
 * allocation happens inside the JDK as the builder grows its buffer, so only the thread's
 * allocated-bytes counter sees it.
 *
 * <p>Outcome: {@code ALLOC_EXCEEDED} under {@code --alloc 64m} (within some 50 ms), also when
 * {@code --timeout 2s} and {@code --cpu 500ms} are given too. Run it only with an allocation
 * budget: without one the builder grows towards 2 GB, a single copy of its buffer can then take
 * longer than the sandbox waits for a tripped thread, and the thread may be abandoned.
 */
public class AllocInJdk implements Handler {
    private static final String CHUNK = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /** Creates the handler. */
    public AllocInJdk() {
    }

    @Override
    public Response handle(Request request, Context context) {
        StringBuilder sb = new StringBuilder();
        while (true) {
            sb.append(CHUNK);
        }
    }
}
