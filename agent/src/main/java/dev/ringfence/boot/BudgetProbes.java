package dev.ringfence.boot;

/**
 * The static methods that a host's classes call once an attached agent has instrumented them:
 * the probes of method bodies (with the shapes of {@code dev.ringfence.limiter.Probes}'s counting
 * probes) and the entry and exits of budgeted methods. It sits on the boot class path so that
 * every class of the host, whatever its loader, resolves it; the attached runtime itself lives in
 * a class loader of its own and is reached through the installed {@link BudgetHook}. With no hook
 * installed every method returns at once, so code that still calls it after a detach (a frame
 * that was running during the restore) runs on unmetered.
 */
public final class BudgetProbes {
    /** A frame's back-edge credit when nothing is installed (any positive value works). */
    private static final int NO_CREDIT_LIMIT = 1024;

    private static volatile BudgetHook hook;

    private BudgetProbes() {
    }

    /**
     * Installs the attached runtime's hook.
     *
     * @param h the hook
     * @return false when another hook is installed already
     */
    public static synchronized boolean install(BudgetHook h) {
        if (hook != null) {
            return false;
        }
        hook = h;
        return true;
    }

    /**
     * Uninstalls a hook.
     *
     * @param h the hook installed
     */
    public static synchronized void uninstall(BudgetHook h) {
        if (hook == h) {
            hook = null;
        }
    }

    /** @return the installed hook, or null */
    public static BudgetHook installed() {
        return hook;
    }

    // --- method bodies

    /** @return a frame's initial back-edge credit */
    public static int enter() {
        BudgetHook h = hook;
        return h == null ? NO_CREDIT_LIMIT : h.enter();
    }

    /** A method entry without loops. */
    public static void tick() {
        BudgetHook h = hook;
        if (h != null) {
            h.tick();
        }
    }

    /**
     * A loop back-edge.
     *
     * @param credit the frame's credit before it
     * @return the credit after it
     */
    public static int edge(int credit) {
        if (credit > 1) {
            return credit - 1;
        }
        BudgetHook h = hook;
        return h == null ? NO_CREDIT_LIMIT : h.poll();
    }

    /**
     * The first instruction of an exception handler.
     *
     * @param caught what it caught
     */
    public static void caught(Throwable caught) {
        BudgetHook h = hook;
        if (h != null) {
            h.caught(caught);
        }
    }

    /**
     * Before an allocation of one array whose length is not a small constant.
     *
     * @param length its length
     * @param elementShift log2 of its element size
     */
    public static void array(int length, int elementShift) {
        if (length > 0) {
            arrayTotal(length, elementShift, 1);
        }
    }

    /**
     * Before {@code String.repeat}.
     *
     * @param s the string
     * @param count the count
     */
    public static void repeat(String s, int count) {
        if (count > 0 && s != null) {
            arrayTotal((long) count * s.length(), 0, 1);
        }
    }

    /**
     * Before a JDK call that allocates about a bit per unit of its argument.
     *
     * @param bits the bits
     */
    public static void bits(int bits) {
        if (bits > 0) {
            arrayTotal(bits / 8, 0, 1);
        }
    }

    /**
     * Folds one dimension of a multi-dimensional array into its element count, saturating.
     *
     * @param count the count so far
     * @param dim the dimension
     * @return the new count
     */
    public static long dim(long count, int dim) {
        if (dim <= 0) {
            return 0;
        }
        long cap = Long.MAX_VALUE / 64;
        return count > cap / dim ? cap : count * dim;
    }

    /**
     * Before an allocation of arrays.
     *
     * @param elements elements in the innermost arrays
     * @param elementShift log2 of the element size
     * @param arrays how many arrays
     */
    public static void arrayTotal(long elements, int elementShift, long arrays) {
        BudgetHook h = hook;
        if (h != null) {
            h.arrayTotal(elements, elementShift, arrays);
        }
    }

    // --- budgeted methods

    /**
     * The entry of a budgeted method.
     *
     * @param site the method's site number
     */
    public static void begin(int site) {
        BudgetHook h = hook;
        if (h != null) {
            h.begin(site);
        }
    }

    /**
     * A normal return of a budgeted method.
     *
     * @param owner its class
     */
    public static void end(Class<?> owner) {
        BudgetHook h = hook;
        if (h != null) {
            h.end(owner);
        }
    }

    /**
     * A budgeted method ending with a throwable.
     *
     * @param thrown what it throws
     * @param owner its class
     * @return what to throw instead
     */
    public static Throwable failed(Throwable thrown, Class<?> owner) {
        BudgetHook h = hook;
        return h == null ? thrown : h.failed(thrown, owner);
    }
}
