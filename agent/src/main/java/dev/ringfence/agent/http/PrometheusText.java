package dev.ringfence.agent.http;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes the Prometheus text exposition format, version 0.0.4, into a {@link StringBuilder}.
 *
 * <p>Start a family with {@link #counter}, {@link #gauge} or {@link #histogram} (which writes its
 * {@code # HELP} and {@code # TYPE} lines), then write its series with {@link #sample} or, for a
 * histogram, {@link #buckets}; the next family starts with the next such call. The writer
 * refuses what would make output a scraper or {@code promtool check metrics} rejects: an invalid
 * metric or label name, a family or series written twice, a counter not named {@code *_total} or
 * going negative, a counter or gauge named like a histogram's series ({@code *_bucket},
 * {@code *_sum}, {@code *_count}), a histogram series given an {@code le} label, buckets out of
 * order. Naming style beyond that (snake_case, base units such as seconds and bytes) is the
 * caller's.
 *
 * <p>Label values are escaped (backslash, double quote, newline), help text too (backslash,
 * newline). Numbers are written as integers when they are whole and exact, else in Java's
 * shortest round-trip form; {@code NaN}, {@code +Inf} and {@code -Inf} as the format spells them.
 *
 * <p>Not thread-safe: one writer per scrape.
 */
public final class PrometheusText {
    /** The {@code Content-Type} of this format. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    /** Whole doubles below this are exact longs. */
    private static final double EXACT_LONG = 0x1p53;

    private enum Type {
        COUNTER, GAUGE, HISTOGRAM
    }

    private final StringBuilder out;
    private final Set<String> names = new HashSet<>();
    private final Set<String> series = new HashSet<>();
    private String family;
    private Type type;

    /** @param out where the text goes */
    public PrometheusText(StringBuilder out) {
        this.out = out;
    }

    /**
     * Starts a counter family.
     *
     * @param name the metric name, ending in {@code _total}
     * @param help what it counts
     * @return this
     */
    public PrometheusText counter(String name, String help) {
        if (!name.endsWith("_total")) {
            throw new IllegalArgumentException("a counter's name ends in _total: " + name);
        }
        return begin(name, help, Type.COUNTER);
    }

    /**
     * Starts a gauge family.
     *
     * @param name the metric name
     * @param help what it measures
     * @return this
     */
    public PrometheusText gauge(String name, String help) {
        return begin(name, help, Type.GAUGE);
    }

    /**
     * Starts a histogram family; its series are {@code name_bucket}, {@code name_sum} and {@code name_count}.
     *
     * @param name the metric name
     * @param help what it measures
     * @return this
     */
    public PrometheusText histogram(String name, String help) {
        return begin(name, help, Type.HISTOGRAM);
    }

    private PrometheusText begin(String name, String help, Type t) {
        if (!METRIC_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a metric name: '" + name + "'");
        }
        if (t != Type.HISTOGRAM && (name.endsWith("_bucket") || name.endsWith("_sum") || name.endsWith("_count"))) {
            throw new IllegalArgumentException("_bucket, _sum and _count name a histogram's series: " + name);
        }
        String[] taken = t == Type.HISTOGRAM
                ? new String[] {name, name + "_bucket", name + "_sum", name + "_count"}
                : new String[] {name};
        for (String n : taken) {
            if (names.contains(n)) {
                throw new IllegalStateException("metric " + n + " written twice: a family's series go together");
            }
        }
        names.addAll(List.of(taken));
        family = name;
        type = t;
        series.clear();
        out.append("# HELP ").append(name).append(' ');
        escapeHelp(help);
        out.append("\n# TYPE ").append(name).append(' ').append(t.name().toLowerCase(Locale.ROOT)).append('\n');
        return this;
    }

    /**
     * Writes one series of the current counter or gauge family.
     *
     * @param value its value (a counter's is finite and 0 or more)
     * @param labels label names and values, alternating
     * @return this
     */
    public PrometheusText sample(double value, String... labels) {
        if (type == null || type == Type.HISTOGRAM) {
            throw new IllegalStateException(type == null ? "start a family first" : family + " is a histogram: use buckets()");
        }
        if (type == Type.COUNTER && !(value >= 0 && value < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("counter " + family + " must be finite and 0 or more, not " + value);
        }
        String rendered = labels(labels, null, false);
        if (!series.add(rendered)) {
            throw new IllegalStateException(family + rendered + " written twice");
        }
        line(family, rendered, value);
        return this;
    }

    /**
     * Writes one series of the current histogram family: cumulative {@code _bucket} lines (the
     * last one {@code le="+Inf"}), {@code _sum} and {@code _count}.
     *
     * @param upperBounds the buckets' inclusive upper bounds, finite and strictly increasing
     * @param counts observations per bucket, not cumulative: {@code counts[i]} fell in
     *     {@code (upperBounds[i-1], upperBounds[i]]}, and the one extra last entry above the largest bound
     * @param sum the sum of the observations
     * @param labels label names and values, alternating ({@code le} is the format's own)
     * @return this
     * @throws ArithmeticException when the counts add up past {@link Long#MAX_VALUE}
     */
    public PrometheusText buckets(double[] upperBounds, long[] counts, double sum, String... labels) {
        if (type != Type.HISTOGRAM) {
            throw new IllegalStateException(type == null ? "start a family first" : family + " is not a histogram");
        }
        if (counts.length != upperBounds.length + 1) {
            throw new IllegalArgumentException("counts needs one entry per bound and one above them: "
                    + (upperBounds.length + 1) + ", not " + counts.length);
        }
        for (int i = 0; i < upperBounds.length; i++) {
            if (!Double.isFinite(upperBounds[i]) || i > 0 && !(upperBounds[i] > upperBounds[i - 1])) {
                throw new IllegalArgumentException("bucket bounds must be finite and strictly increasing");
            }
        }
        long total = 0;
        for (long c : counts) {
            if (c < 0) {
                throw new IllegalArgumentException("bucket counts must be 0 or more");
            }
            total = Math.addExact(total, c);
        }
        String rendered = labels(labels, null, true);
        if (!series.add(rendered)) {
            throw new IllegalStateException(family + rendered + " written twice");
        }
        long cumulative = 0;
        for (int i = 0; i < counts.length; i++) {
            cumulative += counts[i];
            String le = i < upperBounds.length ? number(upperBounds[i]) : "+Inf";
            line(family + "_bucket", labels(labels, le, true), cumulative);
        }
        line(family + "_sum", rendered, sum);
        line(family + "_count", rendered, total);
        return this;
    }

    private void line(String name, String labels, double value) {
        out.append(name).append(labels).append(' ').append(number(value)).append('\n');
    }

    /** Renders {@code {a="x",b="y"}} (and {@code le} last, when given), or "" for no labels. */
    private String labels(String[] pairs, String le, boolean histogram) {
        if (pairs.length % 2 != 0) {
            throw new IllegalArgumentException("labels come in name, value pairs");
        }
        if (pairs.length == 0 && le == null) {
            return "";
        }
        StringBuilder b = new StringBuilder("{");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < pairs.length; i += 2) {
            String n = pairs[i];
            if (!LABEL_NAME.matcher(n).matches() || n.startsWith("__")) {
                throw new IllegalArgumentException("not a label name: '" + n + "'");
            }
            if (histogram && n.equals("le")) {
                throw new IllegalArgumentException("le is a histogram's bucket label");
            }
            if (!seen.add(n)) {
                throw new IllegalArgumentException("label " + n + " given twice");
            }
            b.append(i == 0 ? "" : ",").append(n).append("=\"");
            escapeLabelValue(b, pairs[i + 1]);
            b.append('"');
        }
        if (le != null) {
            b.append(pairs.length == 0 ? "" : ",").append("le=\"").append(le).append('"');
        }
        return b.append('}').toString();
    }

    private static void escapeLabelValue(StringBuilder b, String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\') {
                b.append("\\\\");
            } else if (c == '"') {
                b.append("\\\"");
            } else if (c == '\n') {
                b.append("\\n");
            } else {
                b.append(c);
            }
        }
    }

    private void escapeHelp(String help) {
        for (int i = 0; i < help.length(); i++) {
            char c = help.charAt(i);
            if (c == '\\') {
                out.append("\\\\");
            } else if (c == '\n') {
                out.append("\\n");
            } else {
                out.append(c);
            }
        }
    }

    /**
     * Formats a number the way the format reads it.
     *
     * @param v a value
     * @return {@code 3}, {@code 0.25}, {@code 1.0E-4}, {@code NaN}, {@code +Inf} or {@code -Inf}
     */
    static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < EXACT_LONG) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }
}
