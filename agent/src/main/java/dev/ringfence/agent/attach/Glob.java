package dev.ringfence.agent.attach;

import java.util.regex.Pattern;

/**
 * A name pattern of the attach settings: {@code *} stands for any run of characters within one
 * segment of a dotted name ({@code com.acme.*Plugin}), {@code **} for any run across segments
 * ({@code com.acme.plugins.**}: the package and every package under it). Everything else matches
 * itself. Immutable.
 */
final class Glob {
    private final String text;
    private final Pattern regex;

    private Glob(String text, Pattern regex) {
        this.text = text;
        this.regex = regex;
    }

    /**
     * Reads a pattern.
     *
     * @param text the pattern
     * @return the glob
     * @throws IllegalArgumentException when it is empty or holds characters no Java name has
     */
    static Glob of(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty name pattern");
        }
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '*') {
                boolean deep = i + 1 < text.length() && text.charAt(i + 1) == '*';
                re.append(deep ? ".*" : "[^.]*");
                i += deep ? 1 : 0;
            } else if (Character.isJavaIdentifierPart(c) || c == '.' || c == '<' || c == '>') {
                re.append(Pattern.quote(String.valueOf(c)));
            } else {
                throw new IllegalArgumentException("'" + c + "' cannot appear in a name pattern: '" + text + "'");
            }
        }
        // "a.b.**" also names the package a.b itself, not only what lies under it
        String r = re.toString();
        String under = Pattern.quote(".") + ".*";
        if (r.endsWith(under)) {
            r = r.substring(0, r.length() - under.length()) + "(\\..*)?";
        }
        return new Glob(text, Pattern.compile(r));
    }

    /**
     * @param name a dotted name
     * @return true when the pattern matches all of it
     */
    boolean matches(String name) {
        return regex.matcher(name).matches();
    }

    @Override
    public String toString() {
        return text;
    }
}
