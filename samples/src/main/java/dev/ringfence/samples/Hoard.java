package dev.ringfence.samples;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps what it allocates: each request adds {@code mb} megabytes (query parameter, 1 to 256,
 * default 1) to a static list of its own class and answers {@code kept <n> MB}, the total so far.
 * A cache that never evicts, in miniature: no budget of a single request catches it, the heap
 * does. The memory goes when its version is unloaded (a reload, a scale-to-zero park, or a
 * recycle past {@code serve}'s hard memory limit), since the list belongs to the version's class.
 *
 * <p>Outcome: {@code OK} (200, text) while the heap lasts. The megabytes are kept as 256 KB
 * arrays, so no collector treats them as one huge object.
 */
public class Hoard implements Handler {
    private static final int CHUNK = 256 * 1024;
    private static final List<byte[]> KEPT = new ArrayList<>();

    /** Creates the handler. */
    public Hoard() {
    }

    @Override
    public Response handle(Request request, Context context) {
        int mb = 1;
        String given = request.queryParam("mb");
        if (given != null) {
            try {
                mb = Math.max(1, Math.min(256, Integer.parseInt(given.trim())));
            } catch (NumberFormatException e) {
                return Response.of(400, "mb must be a whole number of megabytes");
            }
        }
        int chunks = mb * (1024 * 1024 / CHUNK);
        long kept;
        synchronized (KEPT) {
            for (int i = 0; i < chunks; i++) {
                byte[] b = new byte[CHUNK];
                b[0] = 1; // touched, so it is really there
                KEPT.add(b);
            }
            kept = (long) KEPT.size() * CHUNK / (1024 * 1024);
        }
        return Response.ok("kept " + kept + " MB");
    }
}
