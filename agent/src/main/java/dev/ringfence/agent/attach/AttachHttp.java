package dev.ringfence.agent.attach;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ringfence.agent.http.PrometheusText;
import dev.ringfence.agent.log.JsonText;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The attached agent's own HTTP port, only when {@code http.port} is set: {@code /metrics} (the
 * Prometheus text of {@link BudgetCounters}) and {@code /status} (the same as JSON). One daemon
 * thread answers; {@link #stop} closes the port and ends it.
 */
final class AttachHttp {
    private static final double NANOS = 1e9;

    private final HttpServer server;
    private final ExecutorService executor;

    private AttachHttp(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Opens the port.
     *
     * @param host the address to bind
     * @param port the port, 0 for any free one
     * @param budgets the budgets
     * @param counters their counters
     * @return the running server
     * @throws IOException when the port cannot be bound
     */
    static AttachHttp start(String host, int port, List<MethodBudget> budgets, BudgetCounters counters) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "ringfence-attach-http");
            t.setDaemon(true);
            return t;
        });
        server.createContext("/metrics", ex -> answer(ex, PrometheusText.CONTENT_TYPE, metrics(counters)));
        server.createContext("/status", ex -> answer(ex, "application/json", status(budgets, counters)));
        server.setExecutor(executor);
        server.start();
        return new AttachHttp(server, executor);
    }

    /** @return where it listens, like {@code http://127.0.0.1:9100} */
    String url() {
        InetSocketAddress a = server.getAddress();
        return "http://" + a.getHostString() + ":" + a.getPort();
    }

    /** Closes the port and ends the server's thread. */
    void stop() {
        server.stop(0);
        executor.shutdownNow();
    }

    static String metrics(BudgetCounters counters) {
        StringBuilder sb = new StringBuilder();
        PrometheusText p = new PrometheusText(sb);
        p.counter("ringfence_attach_calls_total", "Budgeted calls that ended, by budget");
        counters.counts().forEach((name, c) -> p.sample(c.calls.sum(), "budget", name));
        p.counter("ringfence_attach_stopped_total", "Budgeted calls a budget stopped, by budget");
        counters.counts().forEach((name, c) -> p.sample(c.stopped.sum(), "budget", name));
        p.counter("ringfence_attach_overruns_total", "Budgeted calls that passed a budget and were not stopped, by budget");
        counters.counts().forEach((name, c) -> p.sample(c.overrun.sum(), "budget", name));
        p.counter("ringfence_attach_wall_seconds_total", "Wall-clock time of the budgeted calls, by budget");
        counters.counts().forEach((name, c) -> p.sample(c.wallNanos.sum() / NANOS, "budget", name));
        p.counter("ringfence_attach_cpu_seconds_total", "CPU time of the budgeted calls, by budget");
        counters.counts().forEach((name, c) -> p.sample(c.cpuNanos.sum() / NANOS, "budget", name));
        return sb.toString();
    }

    static String status(List<MethodBudget> budgets, BudgetCounters counters) {
        List<JsonText> out = new ArrayList<>();
        for (MethodBudget b : budgets) {
            BudgetCounters.Counts c = counters.counts().get(b.name());
            out.add(new JsonText().put("name", b.name()).put("methods", b.methods().toString())
                    .put("budgets", Reports.budgets(b.budgets())).put("onExceeded", b.stops() ? "throw" : "log")
                    .put("calls", c.calls.sum()).put("stopped", c.stopped.sum()).put("overruns", c.overrun.sum()));
        }
        return new JsonText().put("pid", ProcessHandle.current().pid()).put("budgets", out).toString();
    }

    private static void answer(HttpExchange ex, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(200, bytes.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(bytes);
        }
    }
}
