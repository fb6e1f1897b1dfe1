package dev.ringfence.limiter;

/**
 * How instrumented code is metered. Chosen per handler version, when its classes are
 * instrumented: the two flavours differ in the bytecode put at loop back-edges and method
 * entries. Catch guards, array checks and the call-site policy are the same in both.
 */
public enum Metering {
    /**
     * Back-edges and method entries count ticks: a decrement of a frame-local credit and a branch,
     * with a slow path every few thousand ticks that checks every budget from the handler's own
     * thread. Needed for a deterministic {@linkplain dev.ringfence.api.Budgets#fuel() fuel}
     * budget. Costs about 1.3–2× on tight compute loops.
     */
    COUNT,
    /**
     * Back-edges and method entries hold a {@link Guard}: an {@code invokedynamic} that the JIT
     * compiles to nothing until an invocation of the version trips. The caller's watchdog
     * samples CPU time and allocated bytes and watches the deadline; a trip arms the guard, the
     * version's compiled code is deoptimised, and the next back-edge or entry on the tripped
     * thread throws the abort. No fuel is counted, so fuel budgets need {@link #COUNT}.
     */
    GUARD;

    /**
     * The flavour a version needs for a fuel budget.
     *
     * @param fuel the fuel budget, 0 for none
     * @return {@link #COUNT} when fuel is budgeted, else {@link #GUARD}
     */
    public static Metering forFuel(long fuel) {
        return fuel > 0 ? COUNT : GUARD;
    }
}
