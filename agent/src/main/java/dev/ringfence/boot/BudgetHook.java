package dev.ringfence.boot;

/**
 * What {@link BudgetProbes} forwards to while an agent is attached: implemented by the attached
 * runtime, which lives in a class loader of its own. Only {@link BudgetProbes} calls it.
 */
public interface BudgetHook {
    /** @return the initial back-edge credit of a frame; a method entry in a method with loops */
    int enter();

    /** A method entry in a method without loops. */
    void tick();

    /** @return the next back-edge credit of a frame whose credit ran out */
    int poll();

    /**
     * The first instruction of an exception handler in instrumented code.
     *
     * @param caught what the handler caught
     */
    void caught(Throwable caught);

    /**
     * Before an allocation of arrays.
     *
     * @param elements elements in the innermost arrays
     * @param elementShift log2 of the element size in bytes
     * @param arrays how many arrays
     */
    void arrayTotal(long elements, int elementShift, long arrays);

    /**
     * The entry of a budgeted method.
     *
     * @param site which budgeted method (a number the attached runtime gave it)
     */
    void begin(int site);

    /**
     * The normal return of a budgeted method; throws when its budget stopped it but the trip
     * never came out of the code it called (host code caught it).
     *
     * @param owner the class declaring the budgeted method
     */
    void end(Class<?> owner);

    /**
     * A budgeted method is ending with a throwable.
     *
     * @param thrown what it throws
     * @param owner the class declaring the budgeted method
     * @return what it throws instead: the budget's exception when the budget stopped the call
     */
    Throwable failed(Throwable thrown, Class<?> owner);

    /**
     * Takes the attached agent out of the JVM: restores every class it transformed, stops
     * whatever it started and uninstalls itself from {@link BudgetProbes}.
     *
     * @return a report of what was restored, one line per fact
     */
    String detach();
}
