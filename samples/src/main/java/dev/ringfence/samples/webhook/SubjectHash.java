package dev.ringfence.samples.webhook;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * An email subject's identity for counting repeats: the subject normalised (reply and forward
 * prefixes dropped, case folded, runs of whitespace and digits collapsed, so "Re: Order 1234
 * shipped" and "order 98 SHIPPED" count as one) and hashed with 64-bit FNV-1a. One pass over
 * the subject's characters and one over its UTF-8 bytes: linear in its length, no allocation
 * beyond the normalised string. Stateless and thread-safe.
 */
public final class SubjectHash {
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private SubjectHash() {
    }

    /**
     * @param subject a subject, possibly null
     * @return the normalised subject ("" for null)
     */
    public static String normalise(String subject) {
        if (subject == null) {
            return "";
        }
        String s = subject.strip().toLowerCase(Locale.ROOT);
        boolean stripped = true;
        while (stripped) {
            stripped = false;
            for (String prefix : new String[] {"re:", "fwd:", "fw:", "aw:", "wg:"}) {
                if (s.startsWith(prefix)) {
                    s = s.substring(prefix.length()).strip();
                    stripped = true;
                }
            }
        }
        StringBuilder out = new StringBuilder(s.length());
        char last = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            char n = Character.isWhitespace(c) ? ' ' : Character.isDigit(c) ? '#' : c;
            if ((n == ' ' || n == '#') && n == last) {
                continue;
            }
            out.append(n);
            last = n;
        }
        return out.toString();
    }

    /**
     * @param subject a subject, possibly null
     * @return the 64-bit FNV-1a hash of its normalised form
     */
    public static long of(String subject) {
        byte[] bytes = normalise(subject).getBytes(StandardCharsets.UTF_8);
        long h = FNV_OFFSET;
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= FNV_PRIME;
        }
        return h;
    }

    /**
     * @param hash a hash from {@link #of}
     * @return it as the 16 hexadecimal digits the database stores
     */
    public static String hex(long hash) {
        String h = Long.toHexString(hash);
        return "0".repeat(16 - h.length()) + h;
    }
}
