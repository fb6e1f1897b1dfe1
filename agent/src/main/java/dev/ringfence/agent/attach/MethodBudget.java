package dev.ringfence.agent.attach;

import dev.ringfence.api.Budgets;
import java.util.List;

/**
 * One {@code budget.<name>.*} group of the attach settings: which host methods are budgeted,
 * their budgets, which packages' code is instrumented for them, and what a trip does.
 *
 * @param name the budget's name
 * @param methods the budgeted methods
 * @param budgets the budgets of each call
 * @param instrument packages whose method bodies get probes, as globs over class names
 * @param stops true ({@code onExceeded=throw}) to stop a call that runs out, false ({@code log})
 *     only to record it
 */
record MethodBudget(String name, List<MethodPattern> methods, Budgets budgets, List<Glob> instrument, boolean stops) {
    /**
     * @param className a dotted class name
     * @return true when some budgeted-method pattern names the class
     */
    boolean namesClass(String className) {
        return methods.stream().anyMatch(m -> m.matchesClass(className));
    }

    /**
     * @param className a dotted class name
     * @return true when the class's method bodies are instrumented for this budget
     */
    boolean instruments(String className) {
        return instrument.stream().anyMatch(g -> g.matches(className));
    }
}
