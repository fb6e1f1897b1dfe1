package dev.ringfence.agent.attach;

import dev.ringfence.api.Outcome;
import dev.ringfence.limiter.HostMeters;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Per budget: how many budgeted calls ended, how many a budget stopped, how many passed a budget
 * without being stopped, and their wall-clock and CPU time. Thread-safe: host threads count concurrently.
 */
final class BudgetCounters {
    /** The counts of one budget. */
    static final class Counts {
        final LongAdder calls = new LongAdder();
        final LongAdder stopped = new LongAdder();
        final LongAdder overrun = new LongAdder();
        final LongAdder wallNanos = new LongAdder();
        final LongAdder cpuNanos = new LongAdder();
    }

    private final Map<String, Counts> byBudget = new LinkedHashMap<>();

    BudgetCounters(List<MethodBudget> budgets) {
        budgets.forEach(b -> byBudget.put(b.name(), new Counts()));
    }

    /**
     * Counts one ended invocation.
     *
     * @param budget the budget's name
     * @param e how it ended
     */
    void record(String budget, HostMeters.Ended e) {
        Counts c = byBudget.get(budget);
        c.calls.increment();
        c.wallNanos.add(e.wallNanos());
        c.cpuNanos.add(e.cpuNanos());
        if (e.stopped()) {
            c.stopped.increment();
        } else if (e.outcome() != Outcome.OK && e.outcome() != Outcome.ERROR) {
            c.overrun.increment();
        }
    }

    /** @return the counts by budget name, live */
    Map<String, Counts> counts() {
        return byBudget;
    }

    /** @return one line per budget */
    List<String> summary() {
        List<String> out = new ArrayList<>();
        byBudget.forEach((name, c) -> out.add("budget " + name + ": " + c.calls.sum() + " calls, " + c.stopped.sum()
                + " stopped, " + c.overrun.sum() + " over budget and not stopped"));
        return out;
    }
}
