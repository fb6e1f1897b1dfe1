package dev.ringfence.benchmarks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The baseline of {@code ServeLoad hello}: the JDK's {@link HttpServer} alone, answering
 * {@code GET /hello?name=ada} with {@code hello, ada} as {@code text/plain; charset=utf-8} (what the
 * sample {@code Hello} route answers), on a thread pool of the shape ringfence's HTTP front uses
 * (threads made on demand up to 256, a {@link SynchronousQueue}, the dispatcher waiting when all
 * are busy). Prints {@code plain HttpServer: listening on http://127.0.0.1:PORT}.
 *
 * <p>Run: {@code java -cp benchmarks/target/ringfence-benchmarks.jar dev.ringfence.benchmarks.PlainHelloServer [port]}
 */
public final class PlainHelloServer {
    private PlainHelloServer() {
    }

    /**
     * @param args optional port (default 0, any free one)
     * @throws IOException when it cannot bind
     */
    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
        ThreadPoolExecutor executor = new ThreadPoolExecutor(0, 256, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                (r, pool) -> {
                    try {
                        pool.getQueue().put(r);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
        server.createContext("/", PlainHelloServer::hello);
        server.setExecutor(executor);
        server.start();
        System.out.println("plain HttpServer: listening on http://" + server.getAddress().getHostString() + ":"
                + server.getAddress().getPort());
        System.out.flush();
    }

    private static void hello(HttpExchange ex) throws IOException {
        try (ex) {
            ex.getRequestBody().readAllBytes();
            String name = null;
            String q = ex.getRequestURI().getRawQuery();
            if (q != null) {
                for (String pair : q.split("&")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0 && pair.substring(0, eq).equals("name")) {
                        name = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                        break;
                    }
                }
            }
            byte[] body = ("hello, " + (name == null || name.isBlank() ? "world" : name)).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
