package dev.ringfence.agent.runtimeapi;

import dev.ringfence.agent.log.JsonText;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON parser (RFC 8259) for what functions answer, and the writer of the values it
 * produces. Objects become {@code Map<String, Object>} (insertion-ordered, unmodifiable), arrays
 * {@code List<Object>}, strings {@link String}, numbers {@link BigDecimal} (exactly as written),
 * {@code true}/{@code false} {@link Boolean}, and {@code null} Java's null.
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>Strict: one value with only whitespace around it; no comments, trailing commas, single
 *       quotes, leading zeros, unescaped control characters or duplicate keys. Anything else is a
 *       {@link JsonException} naming the offset.</li>
 *   <li>Bounded: nesting deeper than {@link #MAX_DEPTH} is refused, so hostile input cannot
 *       overflow the stack. The input is already in memory; nothing else is limited here.</li>
 *   <li>Escapes decode to the UTF-16 units they name, lone surrogates included, so a string
 *       written by {@link JsonText#quote} reads back equal.</li>
 *   <li>Stateless and thread-safe.</li>
 * </ul>
 */
public final class JsonReader {
    /** The deepest nesting of arrays and objects accepted. */
    public static final int MAX_DEPTH = 256;

    private final String in;
    private int pos;

    private JsonReader(String in) {
        this.in = in;
    }

    /** Input that is not one strict JSON value. */
    public static final class JsonException extends Exception {
        private static final long serialVersionUID = 1L;

        JsonException(String message, int offset) {
            super(message + " at offset " + offset);
        }
    }

    /**
     * Parses one JSON value.
     *
     * @param text the JSON text
     * @return the value (see the class comment for the types), null for JSON {@code null}
     * @throws JsonException when the text is not exactly one strict JSON value
     */
    public static Object parse(String text) throws JsonException {
        JsonReader r = new JsonReader(text);
        r.space();
        Object v = r.value(0);
        r.space();
        if (r.pos != text.length()) {
            throw new JsonException("text after the value", r.pos);
        }
        return v;
    }

    /**
     * Writes a value of the types {@link #parse} returns (numbers of any {@link Number} type) as
     * JSON; {@code parse(write(v))} equals {@code v} for every value parse returns.
     *
     * @param value the value
     * @return its JSON text, one line
     * @throws IllegalArgumentException on a type JSON has no form for, or a non-finite number
     */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v) {
        if (v == null || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof String) {
            JsonText.quote(sb, (String) v);
        } else if (v instanceof BigDecimal) {
            sb.append(((BigDecimal) v).toString());
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) {
                throw new IllegalArgumentException("JSON has no " + d);
            }
            sb.append(BigDecimal.valueOf(d));
        } else if (v instanceof Number) {
            sb.append(v);
        } else if (v instanceof Map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                sb.append(first ? "" : ",");
                first = false;
                JsonText.quote(sb, String.valueOf(e.getKey()));
                sb.append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof List) {
            sb.append('[');
            boolean first = true;
            for (Object e : (List<?>) v) {
                sb.append(first ? "" : ",");
                first = false;
                write(sb, e);
            }
            sb.append(']');
        } else {
            throw new IllegalArgumentException("JSON has no form for " + v.getClass().getName());
        }
    }

    private Object value(int depth) throws JsonException {
        if (pos >= in.length()) {
            throw new JsonException("a value expected, the text ended", pos);
        }
        char c = in.charAt(pos);
        switch (c) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"':
                return string();
            case 't':
                return word("true", Boolean.TRUE);
            case 'f':
                return word("false", Boolean.FALSE);
            case 'n':
                return word("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw new JsonException("unexpected character '" + c + "'", pos);
        }
    }

    private Map<String, Object> object(int depth) throws JsonException {
        checkDepth(depth);
        pos++;
        Map<String, Object> m = new LinkedHashMap<>();
        space();
        if (peek() == '}') {
            pos++;
            return Collections.unmodifiableMap(m);
        }
        while (true) {
            space();
            if (peek() != '"') {
                throw new JsonException("a key (a string) expected", pos);
            }
            int at = pos;
            String key = string();
            space();
            expect(':');
            space();
            Object v = value(depth);
            if (m.containsKey(key)) {
                throw new JsonException("duplicate key \"" + key + "\"", at);
            }
            m.put(key, v);
            space();
            char c = next();
            if (c == '}') {
                return Collections.unmodifiableMap(m);
            }
            if (c != ',') {
                throw new JsonException("',' or '}' expected", pos - 1);
            }
        }
    }

    private List<Object> array(int depth) throws JsonException {
        checkDepth(depth);
        pos++;
        List<Object> l = new ArrayList<>();
        space();
        if (peek() == ']') {
            pos++;
            return Collections.unmodifiableList(l);
        }
        while (true) {
            space();
            l.add(value(depth));
            space();
            char c = next();
            if (c == ']') {
                return Collections.unmodifiableList(l);
            }
            if (c != ',') {
                throw new JsonException("',' or ']' expected", pos - 1);
            }
        }
    }

    private String string() throws JsonException {
        pos++; // the opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= in.length()) {
                throw new JsonException("the string is not closed", pos);
            }
            char c = in.charAt(pos++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                throw new JsonException("a control character in a string", pos - 1);
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"':
                case '\\':
                case '/':
                    sb.append(e);
                    break;
                case 'b':
                    sb.append('\b');
                    break;
                case 'f':
                    sb.append('\f');
                    break;
                case 'n':
                    sb.append('\n');
                    break;
                case 'r':
                    sb.append('\r');
                    break;
                case 't':
                    sb.append('\t');
                    break;
                case 'u':
                    sb.append(hex4());
                    break;
                default:
                    throw new JsonException("a bad escape '\\" + e + "'", pos - 2);
            }
        }
    }

    private char hex4() throws JsonException {
        if (pos + 4 > in.length()) {
            throw new JsonException("a \\u escape needs four hex digits", pos);
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(in.charAt(pos + i), 16);
            if (d < 0) {
                throw new JsonException("a \\u escape needs four hex digits", pos);
            }
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private BigDecimal number() throws JsonException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (digits() == 0) {
            throw new JsonException("a digit expected", pos);
        }
        if (peek() == '.') {
            pos++;
            if (digits() == 0) {
                throw new JsonException("a digit expected after '.'", pos);
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (digits() == 0) {
                throw new JsonException("a digit expected in the exponent", pos);
            }
        }
        try {
            return new BigDecimal(in.substring(start, pos));
        } catch (NumberFormatException e) {
            throw new JsonException("a number out of range", start); // an exponent past int
        }
    }

    private int digits() {
        int n = 0;
        while (pos < in.length() && in.charAt(pos) >= '0' && in.charAt(pos) <= '9') {
            pos++;
            n++;
        }
        return n;
    }

    private Object word(String w, Object v) throws JsonException {
        if (!in.startsWith(w, pos)) {
            throw new JsonException("unexpected text", pos);
        }
        pos += w.length();
        return v;
    }

    private void checkDepth(int depth) throws JsonException {
        if (depth > MAX_DEPTH) {
            throw new JsonException("nested deeper than " + MAX_DEPTH, pos);
        }
    }

    private void space() {
        while (pos < in.length()) {
            char c = in.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private char peek() {
        return pos < in.length() ? in.charAt(pos) : '\0';
    }

    private char next() throws JsonException {
        if (pos >= in.length()) {
            throw new JsonException("the text ended early", pos);
        }
        return in.charAt(pos++);
    }

    private void expect(char c) throws JsonException {
        if (next() != c) {
            throw new JsonException("'" + c + "' expected", pos - 1);
        }
    }
}
