package dev.ringfence.agent.attach;

/**
 * A budgeted-method pattern, {@code class#method} with {@link Glob} wildcards on both sides
 * ({@code com.acme.*Plugin#run*}). Constructors and static initialisers are never budgeted, even by
 * {@code #*}. Immutable.
 */
final class MethodPattern {
    private final Glob type;
    private final Glob method;
    private final String text;

    private MethodPattern(Glob type, Glob method, String text) {
        this.type = type;
        this.method = method;
        this.text = text;
    }

    /**
     * Reads a pattern.
     *
     * @param text like {@code com.acme.Plugins#run}
     * @return the pattern
     * @throws IllegalArgumentException when it is not {@code class#method}
     */
    static MethodPattern of(String text) {
        int hash = text.indexOf('#');
        if (hash <= 0 || hash == text.length() - 1 || text.indexOf('#', hash + 1) >= 0) {
            throw new IllegalArgumentException("'" + text + "' is not class#method (like com.acme.Plugins#run)");
        }
        return new MethodPattern(Glob.of(text.substring(0, hash)), Glob.of(text.substring(hash + 1)), text);
    }

    /**
     * @param className a dotted class name
     * @return true when the class part matches
     */
    boolean matchesClass(String className) {
        return type.matches(className);
    }

    /**
     * @param className a dotted class name
     * @param methodName a method's name
     * @return true when both parts match and the method is neither a constructor nor an initialiser
     */
    boolean matches(String className, String methodName) {
        return !methodName.startsWith("<") && type.matches(className) && method.matches(methodName);
    }

    @Override
    public String toString() {
        return text;
    }
}
