package dev.ringfence.agent.pipeline;

import dev.ringfence.agent.config.Units;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The server's memory limits, read from the server keys {@code memory.soft}, {@code memory.hard}
 * and {@code memory.interval}; what {@link MemoryWatch} enforces. Immutable.
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code memory.soft}</td><td>{@code 80%}</td><td>live heap at which the busiest route
 *       stops admitting requests and drains; a share of the heap's maximum ({@code 75%},
 *       {@code 87.5%}), a size ({@code 800m}), or {@code off}</td></tr>
 *   <tr><td>{@code memory.hard}</td><td>{@code 95%}</td><td>live heap at which a route is recycled
 *       (its version unloaded, then a GC); above {@code memory.soft}, or {@code off}</td></tr>
 *   <tr><td>{@code memory.interval}</td><td>{@code 5s}</td><td>how often the heap is read and a
 *       {@code memory} line logged, 100ms to 1h; 0 turns the whole watch off</td></tr>
 * </table>
 *
 * @param soft the soft limit
 * @param hard the hard limit
 * @param intervalNanos how often the heap is read; 0 for no watch at all
 */
public record MemoryLimits(Limit soft, Limit hard, long intervalNanos) {
    /** The keys, all server keys. */
    public static final Set<String> KEYS = Set.of("memory.soft", "memory.hard", "memory.interval");
    /** The defaults: 80 %, 95 %, every 5 s. */
    public static final MemoryLimits DEFAULT = new MemoryLimits(Limit.percent(80), Limit.percent(95), 5_000_000_000L);

    private static final long MIN_INTERVAL = 100_000_000L;
    private static final long MAX_INTERVAL = 3_600_000_000_000L;

    /**
     * One limit: a share of the heap's maximum, a number of bytes, or off.
     *
     * @param percent the share, above 0 and at most 100, or 0 when the limit is in bytes or off
     * @param bytes the size when given as one, else 0
     */
    public record Limit(double percent, long bytes) {
        /** No limit. */
        public static final Limit OFF = new Limit(0, 0);

        static Limit percent(double p) {
            return new Limit(p, 0);
        }

        /** @return whether this limit is off */
        public boolean off() {
            return percent == 0 && bytes == 0;
        }

        /**
         * @param maxHeapBytes the heap's maximum, or -1 when it has none
         * @return the limit in bytes; -1 when off, or a share of a heap without a maximum
         */
        public long bytes(long maxHeapBytes) {
            if (off()) {
                return -1;
            }
            if (percent == 0) {
                return bytes;
            }
            return maxHeapBytes <= 0 ? -1 : (long) (maxHeapBytes * (percent / 100));
        }

        @Override
        public String toString() {
            if (off()) {
                return "off";
            }
            if (percent != 0) {
                return (percent == Math.rint(percent) ? Long.toString((long) percent) : Double.toString(percent)) + "%";
            }
            String[] units = {"g", "m", "k"};
            for (int i = 0; i < units.length; i++) {
                long unit = 1L << (30 - 10 * i);
                if (bytes % unit == 0) {
                    return bytes / unit + units[i];
                }
            }
            return Long.toString(bytes);
        }
    }

    /**
     * Reads the memory keys of a server's settings; the other keys are ignored.
     *
     * @param values server settings, as written
     * @param where the file they come from followed by {@code ": "}, or ""
     * @return the limits
     * @throws IllegalArgumentException with one line naming the key and value at fault
     */
    public static MemoryLimits of(Map<String, String> values, String where) {
        Limit soft = limit(where, "memory.soft", values.get("memory.soft"), DEFAULT.soft());
        Limit hard = limit(where, "memory.hard", values.get("memory.hard"), DEFAULT.hard());
        long interval = DEFAULT.intervalNanos();
        String text = values.get("memory.interval");
        if (text != null) {
            try {
                interval = Units.nanos(text);
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new IllegalArgumentException(where + "memory.interval=" + text + ": not a duration (like 5s)");
            }
            if (interval != 0 && (interval < MIN_INTERVAL || interval > MAX_INTERVAL)) {
                throw new IllegalArgumentException(where + "memory.interval=" + text
                        + ": must be between 100ms and 1h (0 turns the memory watch off)");
            }
        }
        if (!soft.off() && !hard.off() && (soft.percent() == 0) == (hard.percent() == 0)
                && (soft.percent() == 0 ? hard.bytes() <= soft.bytes() : hard.percent() <= soft.percent())) {
            throw new IllegalArgumentException(where + "memory.hard=" + hard + ": must be above memory.soft (" + soft + ")");
        }
        return new MemoryLimits(soft, hard, interval);
    }

    /**
     * Checks the limits against a heap: sizes must fit in it, and the hard limit must be above the
     * soft one once both are in bytes.
     *
     * @param maxHeapBytes the heap's maximum, or -1 when it has none
     * @param where the file the limits come from followed by {@code ": "}, or ""
     * @return this
     * @throws IllegalArgumentException with one line naming the key and value at fault
     */
    public MemoryLimits check(long maxHeapBytes, String where) {
        if (maxHeapBytes > 0) {
            fits(where, "memory.soft", soft, maxHeapBytes);
            fits(where, "memory.hard", hard, maxHeapBytes);
        }
        long s = soft.bytes(maxHeapBytes);
        long h = hard.bytes(maxHeapBytes);
        if (s >= 0 && h >= 0 && h <= s) {
            throw new IllegalArgumentException(where + "memory.hard=" + hard + ": must be above memory.soft (" + soft
                    + "): with this heap's maximum of " + mb(maxHeapBytes) + " they are " + mb(h) + " and " + mb(s));
        }
        return this;
    }

    /** @return whether there is no memory watch at all */
    public boolean off() {
        return intervalNanos == 0;
    }

    /** @return the {@code Retry-After} of requests refused for memory: the interval in whole seconds, at least 1 */
    public long retryAfterSeconds() {
        return Math.max(1, (intervalNanos + 999_999_999L) / 1_000_000_000L);
    }

    private static void fits(String where, String key, Limit l, long max) {
        if (!l.off() && l.percent() == 0 && l.bytes() > max) {
            throw new IllegalArgumentException(where + key + "=" + l + ": larger than the heap's maximum of " + mb(max)
                    + " (-Xmx)");
        }
    }

    private static Limit limit(String where, String key, String text, Limit otherwise) {
        if (text == null) {
            return otherwise;
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("off")) {
            return Limit.OFF;
        }
        String bad = where + key + "=" + text + ": ";
        if (t.endsWith("%")) {
            double p;
            try {
                p = Double.parseDouble(t.substring(0, t.length() - 1).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(bad + "not a share of the heap (like 80%)");
            }
            if (!(p > 0 && p <= 100)) {
                throw new IllegalArgumentException(bad + "must be above 0% and at most 100%");
            }
            return Limit.percent(p);
        }
        long b;
        try {
            b = Units.bytes(t);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException(bad + "not a share of the heap or a size (like 80% or 800m), nor off");
        }
        if (b == 0) {
            throw new IllegalArgumentException(bad + "must be above 0 (write off for no limit)");
        }
        return new Limit(0, b);
    }

    static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1048576.0);
    }
}
