package dev.ringfence.agent.pipeline;

import java.util.Collection;
import java.util.Locale;

/** Finds the known key a mistyped one was probably meant to be ({@code maxqueue}, {@code breaker.failure}). */
final class KeySuggestion {
    private static final int MAX_EDITS = 2;

    private KeySuggestion() {
    }

    /**
     * @param typed the unknown key
     * @param known the keys there are
     * @return the known key that differs only in case, else the first one within two edits, else null
     */
    static String closest(String typed, Collection<String> known) {
        for (String k : known) {
            if (k.equalsIgnoreCase(typed)) {
                return k;
            }
        }
        String best = null;
        int bestEdits = MAX_EDITS + 1;
        for (String k : known) {
            int d = edits(typed.toLowerCase(Locale.ROOT), k.toLowerCase(Locale.ROOT));
            if (d < bestEdits && d < k.length() / 2) {
                best = k;
                bestEdits = d;
            }
        }
        return best;
    }

    /** Levenshtein distance. */
    static int edits(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
