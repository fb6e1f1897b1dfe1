package dev.ringfence.limiter;

/**
 * The text a regular expression runs over, made to tick: the JDK's regex engine reads it one
 * {@link #charAt} at a time, so a backtracking match that would run for hours inside JDK code
 * still sees its invocation's budgets every {@value #QUANTUM} characters and stops.
 */
final class MeteredChars implements CharSequence {
    private static final int QUANTUM = 4096;

    private final CharSequence text;
    private int left = QUANTUM;

    MeteredChars(CharSequence text) {
        this.text = text;
    }

    static CharSequence of(CharSequence text) {
        return text == null || text instanceof MeteredChars || SandboxThread.currentMeter() == null ? text
                : new MeteredChars(text);
    }

    @Override
    public char charAt(int index) {
        if (--left <= 0) {
            left = QUANTUM;
            Probes.edge(1);
        }
        return text.charAt(index);
    }

    @Override
    public int length() {
        return text.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return text.subSequence(start, end);
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
