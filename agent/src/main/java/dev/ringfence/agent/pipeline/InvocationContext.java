package dev.ringfence.agent.pipeline;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Context;

/** The {@link Context} handed to a handler. Its logger writes one line per call to a {@link HandlerLog}. */
final class InvocationContext implements Context {
    private final String requestId;
    private final Budgets budgets;
    private final long deadline;
    private final Logger logger;

    InvocationContext(String route, String requestId, Budgets budgets, long startNanos, HandlerLog log) {
        this.requestId = requestId;
        this.budgets = budgets;
        this.deadline = budgets.wallNanos() == 0 ? 0 : startNanos + budgets.wallNanos();
        this.logger = new Logger() {
            @Override
            public void info(String message) {
                log.line(route, requestId, "INFO", clip(message));
            }

            @Override
            public void warn(String message) {
                log.line(route, requestId, "WARN", clip(message));
            }
        };
    }

    private static String clip(String s) {
        String v = String.valueOf(s);
        return v.length() > 4096 ? v.substring(0, 4096) + "…" : v;
    }

    @Override
    public String requestId() {
        return requestId;
    }

    @Override
    public long remainingNanos() {
        if (deadline == 0) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, deadline - System.nanoTime());
    }

    @Override
    public Budgets budgets() {
        return budgets;
    }

    @Override
    public Logger logger() {
        return logger;
    }
}
