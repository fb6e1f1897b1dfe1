package dev.ringfence.samples.budget;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.util.regex.Pattern;

/**
 * Matches the catastrophic pattern {@code (a|a)+\1b} against {@code n} letters {@code a} (query
 * {@code n}, default 40). Every letter can be matched by either alternative, so the match fails
 * only after trying about 2<sup>n</sup> paths, all of it inside {@code java.util.regex}: no tick,
 * no interrupt check, for hours (the time roughly doubles with each letter: about a second at
 * {@code n = 24} on a laptop core). The back reference matters: since JDK 9 the engine remembers
 * where a loop already failed, which makes the textbook {@code (a+)+b} linear, but it turns that
 * memo off in a pattern with a back reference.
 *
 * <p>Outcome: {@code TIMEOUT} under {@code --timeout 2s}, {@code CPU_EXCEEDED} under
 * {@code --cpu 500ms}; either way the thread cannot be stopped in-process and is abandoned
 * (it keeps one core busy until the match ends). {@code --fuel} never sees this work. A small
 * {@code n} (say 10) ends {@code OK} with the body {@code matched false}.
 */
public class RegexBacktracking implements Handler {
    private static final Pattern CATASTROPHIC = Pattern.compile("(a|a)+\\1b");

    /** Creates the handler. */
    public RegexBacktracking() {
    }

    @Override
    public Response handle(Request request, Context context) {
        String param = request.queryParam("n");
        String input = "a".repeat(param == null ? 40 : Integer.parseInt(param));
        return Response.ok("matched " + CATASTROPHIC.matcher(input).matches());
    }
}
