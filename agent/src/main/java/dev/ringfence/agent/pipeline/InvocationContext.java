package dev.ringfence.agent.pipeline;

import dev.ringfence.api.Batcher;
import dev.ringfence.api.Budgets;
import dev.ringfence.api.Context;
import java.util.List;
import java.util.function.Consumer;

/**
 * The {@link Context} handed to a handler. Its logger writes one line per call to a {@link HandlerLog}.
 * {@code defer} and {@code batcher} go to the request's {@link DeferredHandoff.Attempt} when the route
 * serves one (a served route in-process, or a child of the process tier: {@link ChildRoute}), and
 * refuse otherwise.
 */
final class InvocationContext implements Context {
    private final String requestId;
    private final Budgets budgets;
    private final long deadline;
    private final Logger logger;
    private final DeferredHandoff.Attempt deferrals;

    InvocationContext(String route, String requestId, Budgets budgets, long startNanos, HandlerLog log) {
        this(route, requestId, budgets, startNanos, log, null);
    }

    InvocationContext(String route, String requestId, Budgets budgets, long startNanos, HandlerLog log,
            DeferredHandoff.Attempt deferrals) {
        this.deferrals = deferrals;
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

    @Override
    public boolean defer(Runnable task) {
        return deferrals().defer(task);
    }

    @Override
    public <T> Batcher<T> batcher(String name, Consumer<List<T>> flush) {
        return deferrals().batcher(name, flush);
    }

    private DeferredHandoff.Attempt deferrals() {
        if (deferrals == null) {
            throw new UnsupportedOperationException("deferred work needs a route served by ringfence serve (or"
                    + " Ringfence.route), in-process or in its children; the invoke command offers none");
        }
        return deferrals;
    }
}
