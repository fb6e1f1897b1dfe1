package dev.ringfence.agent.config;

import java.util.Locale;

/**
 * Reads durations ({@code 200ms}, {@code 2s}, {@code 1m}, {@code 500us}) and sizes ({@code 64m},
 * {@code 512k}, {@code 1g}, plain bytes) the way every flag and property of ringfence writes them.
 */
public final class Units {
    private Units() {
    }

    /**
     * Parses a duration.
     *
     * @param text a number followed by {@code ns}, {@code us}, {@code ms}, {@code s} or {@code m};
     *     a bare number is milliseconds
     * @return nanoseconds
     * @throws IllegalArgumentException with a one-line message when the text is not a duration
     */
    public static long nanos(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long unit;
        String digits;
        if (t.endsWith("ns")) {
            unit = 1L;
            digits = t.substring(0, t.length() - 2);
        } else if (t.endsWith("us")) {
            unit = 1_000L;
            digits = t.substring(0, t.length() - 2);
        } else if (t.endsWith("ms")) {
            unit = 1_000_000L;
            digits = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            unit = 1_000_000_000L;
            digits = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            unit = 60_000_000_000L;
            digits = t.substring(0, t.length() - 1);
        } else {
            unit = 1_000_000L;
            digits = t;
        }
        return Math.multiplyExact(number(digits, text, "duration (like 200ms, 2s)"), unit);
    }

    /**
     * Parses a size.
     *
     * @param text a number optionally followed by {@code k}, {@code m} or {@code g} (powers of 1024)
     * @return bytes
     * @throws IllegalArgumentException with a one-line message when the text is not a size
     */
    public static long bytes(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.endsWith("b")) {
            t = t.substring(0, t.length() - 1);
        }
        long unit = 1;
        if (t.endsWith("k")) {
            unit = 1L << 10;
        } else if (t.endsWith("m")) {
            unit = 1L << 20;
        } else if (t.endsWith("g")) {
            unit = 1L << 30;
        }
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        return Math.multiplyExact(number(digits, text, "size (like 64m, 512k)"), unit);
    }

    /**
     * Parses a count.
     *
     * @param text a non-negative whole number, underscores allowed
     * @return the number
     */
    public static long count(String text) {
        return number(text.trim(), text, "whole number");
    }

    private static long number(String digits, String original, String what) {
        try {
            long v = Long.parseLong(digits.replace("_", ""));
            if (v < 0) {
                throw new IllegalArgumentException("not a " + what + ": '" + original + "' is negative");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a " + what + ": '" + original + "'");
        }
    }
}
