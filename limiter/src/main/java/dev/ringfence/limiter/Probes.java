package dev.ringfence.limiter;

/**
 * The static methods instrumented handler code calls. Each is tiny so that the JIT inlines it:
 * on the fast path a back-edge is a decrement and a branch on a local, a method entry a type
 * check, a field load, a decrement and a branch. Nothing here allocates on the fast path.
 *
 * <p>These methods only ever charge the running invocation; calling them directly (a handler
 * cannot link against this class: the instrumenter rewrites such references to a denial) could
 * never refill a budget.
 */
public final class Probes {
    private Probes() {
    }

    /**
     * A method entry in a method that has loops: charges one tick and returns the credit for the
     * frame's back-edge counter.
     *
     * @return the initial back-edge credit of the frame
     */
    public static int enter() {
        Thread t = Thread.currentThread();
        if (t instanceof SandboxThread) {
            Meter m = ((SandboxThread) t).meter;
            if (m != null && --m.credit <= 0) {
                m.slow();
            }
        }
        return Meter.EDGE_QUANTUM;
    }

    /** A method entry in a method without loops: charges one tick. */
    public static void tick() {
        Thread t = Thread.currentThread();
        if (t instanceof SandboxThread) {
            Meter m = ((SandboxThread) t).meter;
            if (m != null && --m.credit <= 0) {
                m.slow();
            }
        }
    }

    /**
     * A loop back-edge: counts down the frame's local credit and charges the meter when it runs out.
     *
     * @param credit the frame's credit before this back-edge
     * @return the credit after it
     */
    public static int edge(int credit) {
        return credit > 1 ? credit - 1 : poll();
    }

    private static int poll() {
        Thread t = Thread.currentThread();
        if (t instanceof SandboxThread) {
            Meter m = ((SandboxThread) t).meter;
            if (m != null) {
                m.chargeEdges();
            }
        }
        return Meter.EDGE_QUANTUM;
    }

    // --- Metering.GUARD

    /**
     * Bootstraps a guarded back-edge or method entry ({@code invokedynamic guard ()V}): links it
     * to the {@link Guard} of the calling class's loader.
     *
     * @param caller the class holding the probe
     * @param name the call site's name
     * @param type the call site's type, {@code ()V}
     * @return the guard's call site
     */
    public static java.lang.invoke.CallSite guardSite(java.lang.invoke.MethodHandles.Lookup caller, String name,
            java.lang.invoke.MethodType type) {
        if (type.returnType() != void.class || type.parameterCount() != 0) {
            throw new IllegalArgumentException("a guard takes and returns nothing: " + type);
        }
        return Guard.of(caller.lookupClass().getClassLoader()).site();
    }

    /** What an armed guard runs: throws the abort on a tripped thread, passes on any other. */
    static void guardCheck() {
        Thread t = Thread.currentThread();
        if (t instanceof SandboxThread) {
            Meter m = ((SandboxThread) t).meter;
            if (m != null) {
                m.guardCheck();
            }
        }
    }

    /**
     * The entry of a guarded method that JDK code could call back (an overridable method, an
     * initialiser, a lambda's body): denies it when it runs inside the sandbox's own code (a
     * gate asking a handler's object for its path, say), where the gates are open.
     */
    public static void entered() {
        if (Meter.WINDOWS.get() != 0) {
            enteredDuringAWindow();
        }
    }

    private static void enteredDuringAWindow() {
        Thread t = Thread.currentThread();
        if (t instanceof SandboxThread) {
            Meter m = ((SandboxThread) t).meter;
            if (m != null && m.privileged) {
                throw m.calledBack();
            }
        }
    }

    /**
     * The first instruction of every exception handler in handler code. Rethrows the abort when
     * the invocation has tripped (whatever was caught), turns a caught {@link StackOverflowError}
     * or {@link OutOfMemoryError} into a trip ({@code NATIVE_EXCEEDED} when the JVM refused direct
     * memory), and charges one tick so that loops through
     * exception handlers are metered too.
     *
     * @param caught what the handler caught
     */
    public static void caught(Throwable caught) {
        Thread t = Thread.currentThread();
        if (t instanceof SandboxThread) {
            Meter m = ((SandboxThread) t).meter;
            if (m != null) {
                m.caught(caught);
            }
        }
    }

    /**
     * Before an array allocation whose length is not a small constant.
     *
     * @param length the length about to be allocated
     * @param elementShift log2 of the element size in bytes
     */
    public static void array(int length, int elementShift) {
        if (length > 0) {
            arrayTotal(length, elementShift, 1);
        }
    }

    /**
     * Before {@code String.repeat}: the result's size is known before the JDK allocates it.
     *
     * @param s the string repeated
     * @param count how many times
     */
    public static void repeat(String s, int count) {
        if (s != null && count > 0) {
            arrayTotal((long) s.length() * count, 0, 1);
        }
    }

    /**
     * Before a JDK call that allocates about one bit per unit of its argument (a bit set grown
     * to an index, a big integer shifted).
     *
     * @param bits the bit count or index
     */
    public static void bits(int bits) {
        if (bits > 0) {
            arrayTotal(bits >>> 3, 0, 1);
        }
    }

    /**
     * Folds one dimension of a multi-dimensional allocation into the element count.
     *
     * @param count the count so far
     * @param dim the next dimension
     * @return the new count, saturating
     */
    public static long dim(long count, int dim) {
        if (dim <= 0) {
            return 0;
        }
        long r = count * dim;
        return (r / dim != count || r < 0) ? Long.MAX_VALUE / 64 : Math.min(r, Long.MAX_VALUE / 64);
    }

    /**
     * Before an allocation of {@code elements} elements spread over {@code arrays} arrays.
     *
     * @param elements elements in the innermost arrays
     * @param elementShift log2 of the element size in bytes
     * @param arrays how many arrays (each has a 16-byte header)
     */
    public static void arrayTotal(long elements, int elementShift, long arrays) {
        Thread t = Thread.currentThread();
        if (t instanceof SandboxThread) {
            Meter m = ((SandboxThread) t).meter;
            if (m != null) {
                m.checkArrays(elements, elementShift, arrays);
            }
        }
    }

    /**
     * Replaces a call to an API the class policy denies at link time.
     *
     * @param api the API
     */
    public static void denied(String api) {
        Meter m = SandboxThread.currentMeter();
        if (m != null) {
            throw m.deny(api);
        }
        throw new SecurityException("ringfence: denied: " + api);
    }

    /**
     * Replaces {@code Class.getClassLoader()} in handler code: a handler sees its own loader and
     * loaders it could reach anyway, never the host's application or platform loader.
     *
     * @param c the class
     * @return its loader if that is a sandbox loader, else null (as for a JDK class)
     */
    public static ClassLoader classLoader(Class<?> c) {
        ClassLoader l = c.getClassLoader();
        return l instanceof SandboxedLoader ? l : null;
    }

    /**
     * Replaces {@code ClassLoader.getParent()} in handler code.
     *
     * @param l the loader
     * @return nothing: the call is denied
     */
    public static ClassLoader parent(Object l) {
        denied("java.lang.ClassLoader.getParent");
        return null;
    }

    /**
     * Replaces {@code ClassLoader.getSystemClassLoader()} and {@code getPlatformClassLoader()}.
     *
     * @return nothing: the call is denied
     */
    public static ClassLoader systemClassLoader() {
        denied("java.lang.ClassLoader.getSystemClassLoader");
        return null;
    }

    // --- regular expressions: the text is metered so that backtracking inside the JDK stops

    /**
     * Replaces {@code Pattern.matcher(CharSequence)}.
     *
     * @param p the pattern
     * @param text the text
     * @return a matcher over the metered text
     */
    public static java.util.regex.Matcher matcher(java.util.regex.Pattern p, CharSequence text) {
        return p.matcher(MeteredChars.of(text));
    }

    /**
     * Replaces {@code Pattern.matches(String, CharSequence)}.
     *
     * @param regex the expression
     * @param text the text
     * @return whether the whole text matches
     */
    public static boolean patternMatches(String regex, CharSequence text) {
        return java.util.regex.Pattern.compile(regex).matcher(MeteredChars.of(text)).matches();
    }

    /**
     * Replaces {@code String.matches(String)}.
     *
     * @param s the text
     * @param regex the expression
     * @return whether the whole text matches
     */
    public static boolean stringMatches(String s, String regex) {
        return java.util.regex.Pattern.compile(regex).matcher(MeteredChars.of(s)).matches();
    }

    /**
     * Replaces {@code String.replaceAll(String, String)}.
     *
     * @param s the text
     * @param regex the expression
     * @param replacement the replacement
     * @return the result
     */
    public static String replaceAll(String s, String regex, String replacement) {
        return java.util.regex.Pattern.compile(regex).matcher(MeteredChars.of(s)).replaceAll(replacement);
    }

    /**
     * Replaces {@code String.replaceFirst(String, String)}.
     *
     * @param s the text
     * @param regex the expression
     * @param replacement the replacement
     * @return the result
     */
    public static String replaceFirst(String s, String regex, String replacement) {
        return java.util.regex.Pattern.compile(regex).matcher(MeteredChars.of(s)).replaceFirst(replacement);
    }

    /**
     * Replaces {@code String.split(String, int)}.
     *
     * @param s the text
     * @param regex the expression
     * @param limit the limit
     * @return the pieces
     */
    public static String[] split(String s, String regex, int limit) {
        return java.util.regex.Pattern.compile(regex).split(MeteredChars.of(s), limit);
    }

    /**
     * Replaces {@code String.split(String)}.
     *
     * @param s the text
     * @param regex the expression
     * @return the pieces
     */
    public static String[] split(String s, String regex) {
        return split(s, regex, 0);
    }

    /**
     * The meter a gate must consult on the current thread.
     *
     * @return the running invocation's meter, or null when the thread runs no sandboxed code or
     *     the sandbox's own code is running privileged
     */
    public static Meter gateMeter() {
        Thread t = Thread.currentThread();
        if (t instanceof SandboxThread) {
            Meter m = ((SandboxThread) t).meter;
            if (m != null && !m.privileged) {
                return m;
            }
        }
        return null;
    }
}
