package dev.ringfence.agent.log;

import java.util.Collection;

/**
 * Builds one JSON object: {@code put} adds a field whose value is a string, a number, a boolean,
 * null, another {@code JsonText} (a nested object) or a collection of those (an array). Fields keep
 * the order they were put in; a key put twice appears twice, so put each once.
 *
 * <p>Strings are escaped so the output is one line of valid JSON whatever they hold: quotes,
 * backslashes and control characters are escaped, and a lone surrogate is written as {@code \\uXXXX}.
 * Non-finite doubles, which JSON cannot hold, are written as null. Not thread-safe.
 */
public final class JsonText {
    private final StringBuilder out = new StringBuilder("{");

    /**
     * Adds a field.
     *
     * @param key the name
     * @param value a {@link CharSequence}, {@link Number}, {@link Boolean}, {@code JsonText},
     *     {@link Collection} of these, or null; anything else is written as its {@code toString()}
     * @return this
     */
    public JsonText put(String key, Object value) {
        if (out.length() > 1) {
            out.append(',');
        }
        quote(out, key);
        out.append(':');
        value(out, value);
        return this;
    }

    private static void value(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            sb.append(Double.isFinite(d) ? Double.toString(d) : "null");
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof JsonText) {
            sb.append(v);
        } else if (v instanceof Collection) {
            sb.append('[');
            boolean first = true;
            for (Object e : (Collection<?>) v) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                value(sb, e);
            }
            sb.append(']');
        } else {
            quote(sb, v.toString());
        }
    }

    /** @return the object, one line */
    @Override
    public String toString() {
        return out + "}";
    }

    /**
     * Appends a JSON string literal.
     *
     * @param sb where to write
     * @param s the text
     */
    public static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                default:
                    if (c < 0x20 || (Character.isSurrogate(c) && !pairedSurrogate(s, i))) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }

    private static boolean pairedSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
