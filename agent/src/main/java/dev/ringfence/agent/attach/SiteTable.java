package dev.ringfence.agent.attach;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The numbers that woven budgeted methods pass to {@code BudgetProbes.begin}: one per method of
 * a class (the same number when the class is woven again), each naming its budget. Thread-safe:
 * transformers run on any thread that loads a class.
 */
final class SiteTable implements BudgetWeaver.Sites {
    /**
     * One budgeted method.
     *
     * @param budget its budget
     * @param method {@code class#name} for messages
     */
    record Site(MethodBudget budget, String method) {
    }

    private final List<MethodBudget> budgets;
    private final List<Site> sites = new ArrayList<>(); // guarded by this
    private final Map<String, Integer> numbers = new HashMap<>(); // guarded by this
    private volatile Site[] snapshot = new Site[0];

    SiteTable(List<MethodBudget> budgets) {
        this.budgets = budgets;
    }

    @Override
    public synchronized int siteOf(String className, String method, String descriptor) {
        MethodBudget budget = null;
        for (MethodBudget b : budgets) {
            if (b.methods().stream().anyMatch(p -> p.matches(className, method))) {
                budget = b;
                break;
            }
        }
        if (budget == null) {
            return -1;
        }
        String key = className + "#" + method + descriptor;
        Integer n = numbers.get(key);
        if (n == null) {
            n = sites.size();
            sites.add(new Site(budget, className + "#" + method));
            numbers.put(key, n);
            snapshot = sites.toArray(new Site[0]);
        }
        return n;
    }

    /**
     * @param n a site number handed out by {@link #siteOf}
     * @return its site, or null for a number this table never handed out (code of an earlier
     *     attach still running in a frame that began before the restore)
     */
    Site site(int n) {
        Site[] s = snapshot;
        if (n >= 0 && n < s.length) {
            return s[n];
        }
        synchronized (this) {
            return n >= 0 && n < sites.size() ? sites.get(n) : null;
        }
    }

    /**
     * @param className a dotted class name
     * @return true when a budget names methods of the class
     */
    boolean namesClass(String className) {
        return budgets.stream().anyMatch(b -> b.namesClass(className));
    }

    /**
     * @param className a dotted class name
     * @return true when a budget instruments the class's method bodies
     */
    boolean instruments(String className) {
        return budgets.stream().anyMatch(b -> b.instruments(className));
    }
}
