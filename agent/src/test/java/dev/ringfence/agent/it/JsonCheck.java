package dev.ringfence.agent.it;

/** A strict JSON syntax check (RFC 8259), enough to tell that {@code /status} is one valid JSON value. */
final class JsonCheck {
    private final String s;
    private int i;

    private JsonCheck(String s) {
        this.s = s;
    }

    static void assertValid(String text) {
        JsonCheck c = new JsonCheck(text);
        c.value();
        c.space();
        if (c.i != text.length()) {
            throw c.fail("trailing text");
        }
    }

    private AssertionError fail(String why) {
        return new AssertionError("not JSON (" + why + " at " + i + "): " + s);
    }

    private void space() {
        while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
    }

    private void expect(char c) {
        space();
        if (i >= s.length() || s.charAt(i) != c) {
            throw fail("expected " + c);
        }
        i++;
    }

    private boolean peek(char c) {
        space();
        return i < s.length() && s.charAt(i) == c;
    }

    private void value() {
        space();
        if (i >= s.length()) {
            throw fail("end of text");
        }
        char c = s.charAt(i);
        if (c == '{') {
            expect('{');
            if (!peek('}')) {
                do {
                    string();
                    expect(':');
                    value();
                } while (comma());
            }
            expect('}');
        } else if (c == '[') {
            expect('[');
            if (!peek(']')) {
                do {
                    value();
                } while (comma());
            }
            expect(']');
        } else if (c == '"') {
            string();
        } else if (s.startsWith("true", i) || s.startsWith("null", i)) {
            i += 4;
        } else if (s.startsWith("false", i)) {
            i += 5;
        } else {
            number();
        }
    }

    private boolean comma() {
        if (peek(',')) {
            i++;
            return true;
        }
        return false;
    }

    private void string() {
        expect('"');
        while (i < s.length() && s.charAt(i) != '"') {
            char c = s.charAt(i++);
            if (c < 0x20) {
                throw fail("control character in a string");
            }
            if (c == '\\') {
                char e = s.charAt(i++);
                if (e == 'u') {
                    if (!s.substring(i, i + 4).matches("[0-9a-fA-F]{4}")) {
                        throw fail("bad \\u escape");
                    }
                    i += 4;
                } else if ("\"\\/bfnrt".indexOf(e) < 0) {
                    throw fail("bad escape");
                }
            }
        }
        expect('"');
    }

    private void number() {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?")
                .matcher(s).region(i, s.length());
        if (!m.lookingAt()) {
            throw fail("not a value");
        }
        i = m.end();
    }
}
