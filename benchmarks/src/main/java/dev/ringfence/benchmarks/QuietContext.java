package dev.ringfence.benchmarks;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Context;

/** A {@link Context} for drivers: no deadline, a logger that drops lines. */
final class QuietContext implements Context {
    static final QuietContext INSTANCE = new QuietContext();

    private static final Logger DROP = new Logger() {
        @Override
        public void info(String message) {
        }

        @Override
        public void warn(String message) {
        }
    };

    @Override
    public String requestId() {
        return "bench";
    }

    @Override
    public long remainingNanos() {
        return Long.MAX_VALUE;
    }

    @Override
    public Budgets budgets() {
        return Budgets.NONE;
    }

    @Override
    public Logger logger() {
        return DROP;
    }
}
