package dev.ringfence.samples.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ringfence.api.BudgetExceededException;
import dev.ringfence.samples.service.plugins.Greeting;
import dev.ringfence.samples.service.plugins.Runaway;
import dev.ringfence.samples.service.plugins.Spin;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * A sample "existing service" to attach ringfence to: an HTTP server on loopback whose
 * {@code GET /plugin/NAME?ARG} runs a plugin through {@link Plugins#run}, and {@code GET /health}
 * answers {@code ok}. It knows nothing of ringfence but its exception: a call that an attached
 * budget stopped ends with {@link BudgetExceededException}, which it answers with 503; {@code GET
 * /class/NAME} tells which jar a class of its class path comes from. Its
 * plugins: {@code greeting} (well-behaved), {@code spin?MILLIS} (busy for that long) and
 * {@code runaway} (an endless loop that swallows every throwable).
 *
 * <p>{@code java -cp ringfence-samples.jar:ringfence-api.jar dev.ringfence.samples.service.PluginService [PORT]}
 * prints {@code listening on http://127.0.0.1:PORT} once it serves (no port: any free port).
 */
public final class PluginService {
    private static final Map<String, Plugin> PLUGINS = Map.of("greeting", new Greeting(), "spin", new Spin(), "runaway",
            new Runaway());

    private PluginService() {
    }

    /**
     * Starts the service.
     *
     * @param args the port, or none for any free port
     * @throws IOException when the port cannot be bound
     */
    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/plugin/", PluginService::plugin);
        server.createContext("/health", ex -> answer(ex, 200, "ok"));
        server.createContext("/class/", PluginService::origin);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.start();
        System.out.println("listening on http://127.0.0.1:" + server.getAddress().getPort());
    }

    private static void plugin(HttpExchange ex) throws IOException {
        String name = ex.getRequestURI().getPath().substring("/plugin/".length());
        String query = ex.getRequestURI().getQuery();
        Plugin p = PLUGINS.get(name);
        if (p == null) {
            answer(ex, 404, "no plugin " + name);
            return;
        }
        try {
            answer(ex, 200, Plugins.run(p, query == null ? "" : query));
        } catch (BudgetExceededException e) {
            answer(ex, 503, "plugin " + name + " stopped (" + e.outcome() + "): " + e.getMessage());
        } catch (RuntimeException e) {
            answer(ex, 500, "plugin " + name + " failed: " + e);
        }
    }

    /** {@code GET /class/NAME}: where the service's own class loader finds a class (which jar). */
    private static void origin(HttpExchange ex) throws IOException {
        String name = ex.getRequestURI().getPath().substring("/class/".length());
        try {
            java.security.CodeSource source = Class.forName(name).getProtectionDomain().getCodeSource();
            answer(ex, 200, source == null ? "(the JDK)" : String.valueOf(source.getLocation()));
        } catch (ClassNotFoundException e) {
            answer(ex, 404, "no class " + name);
        }
    }

    private static void answer(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
