package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The webhook-filter sample as a user runs it: {@code serve} on (a copy of) the routes directory
 * the samples build leaves, over real HTTP. Its decisions, rules and dynamic rules, its stats from
 * SQLite in the child JVM, and no decision lost when a fifth of the callers give up after 20 ms.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServeWebhookIT {
    private static final long LONG = TimeUnit.SECONDS.toNanos(60);

    private static Path routes;
    private static ForkedServe serve;

    @BeforeAll
    static void startServer() throws Exception {
        routes = Files.createTempDirectory("ringfence-webhook-it").resolve("routes");
        try (Stream<Path> all = Files.walk(Cli.SAMPLES_ROUTES)) {
            for (Path p : all.toList()) {
                Path to = routes.resolve(Cli.SAMPLES_ROUTES.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else if (!p.startsWith(Cli.SAMPLES_ROUTES.resolve("webhook").resolve("data"))) {
                    Files.copy(p, to, StandardCopyOption.COPY_ATTRIBUTES); // bootstraps keep their execute bit
                }
            }
        }
        serve = ForkedServe.start(routes);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (serve != null) {
            serve.close();
        }
        ForkedServe.deleteTrees(routes.getParent());
    }

    private static HttpResponse<String> post(String path, String json) throws Exception {
        return serve.send(serve.request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private static String email(String worker, String from, String subject) {
        return "{\"workerId\":\"" + worker + "\",\"from\":\"" + from + "\",\"to\":\"inbox@example.org\",\"subject\":\""
                + subject + "\"}";
    }

    private static String stats() throws Exception {
        HttpResponse<String> r = serve.get("/fn/webhook/stats");
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    /** Polls the stats until phase 2 has recorded every decision phase 1 made; returns them. */
    private static String settledStats() throws Exception {
        long until = System.nanoTime() + LONG;
        String s = stats();
        while (ForkedServe.number(s, "total") != ForkedServe.number(s, "decided") && System.nanoTime() < until) {
            Thread.sleep(100);
            s = stats();
        }
        return s;
    }

    private static long metric(String line) throws Exception {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(line) + " (\\d+)").matcher(serve.get("/metrics").body());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    @Test
    @Order(1)
    void shouldDecideFromRulesAndRecordEveryDecisionInSqlite() throws Exception {
        HttpResponse<String> spam = post("/fn/webhook/rules", "{\"field\":\"from\",\"pattern\":\"spam.example\",\"action\":\"drop\"}");
        assertEquals(201, spam.statusCode(), spam.body() + serve.err());
        long spamRule = ForkedServe.number(spam.body(), "id");
        HttpResponse<String> invoice = post("/fn/webhook/rules",
                "{\"workerId\":\"w2\",\"field\":\"subject\",\"pattern\":\"invoice\",\"action\":\"quarantine\"}");
        assertEquals(201, invoice.statusCode(), invoice.body());
        assertEquals(400, post("/fn/webhook/rules", "{\"field\":\"body\",\"pattern\":\"x\",\"action\":\"drop\"}").statusCode());
        assertEquals(400, post("/fn/webhook", "{\"from\":\"no worker id\"}").statusCode());
        for (int i = 0; i < 12; i++) {
            String worker = "w" + (i % 3);
            String subject = (i == 2 ? "Invoice " : "note ") + (char) ('a' + i);
            HttpResponse<String> r = post("/fn/webhook", email(worker, i % 3 == 1 ? "a@spam.example" : "a@ok.example",
                    subject));
            assertEquals(200, r.statusCode(), r.body());
            String want = i % 3 == 1 ? "drop" : i == 2 ? "quarantine" : "forward";
            assertTrue(r.body().startsWith("{\"action\":\"" + want + "\""), i + ": " + r.body());
        }
        String s = settledStats();
        assertEquals(12, ForkedServe.number(s, "total"), s);
        assertTrue(s.contains("\"actions\":{\"drop\":4,\"forward\":7,\"quarantine\":1}"), s);
        assertTrue(s.contains("\"workers\":{\"w0\":4,\"w1\":4,\"w2\":4}"), s);
        assertTrue(serve.get("/fn/webhook/rules").body().contains("\"pattern\":\"invoice\""));
        assertEquals(200, serve.send(serve.request("/fn/webhook/rules/" + spamRule).DELETE()).statusCode());
        assertTrue(post("/fn/webhook", email("w1", "b@spam.example", "note z")).body().startsWith("{\"action\":\"forward\""),
                "a deleted rule decides nothing more");
        assertTrue(Files.exists(routes.resolve("webhook/data/webhook.db-wal")), "the database runs in WAL mode");
    }

    @Test
    @Order(2)
    void shouldTurnASubjectRepeatedWithinTheWindowIntoADynamicRule() throws Exception {
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = post("/fn/webhook", email("w" + i, "shop@ok.example", "Flash SALE " + (10 + i) + "% off"));
            assertTrue(r.body().startsWith("{\"action\":\"forward\""), r.body());
        }
        HttpResponse<String> r = post("/fn/webhook", email("w9", "other@ok.example", "Re: flash sale 70% OFF"));
        assertTrue(r.body().startsWith("{\"action\":\"drop\",\"rule\":\"dynamic:"), r.body());
        long until = System.nanoTime() + LONG;
        while (!serve.get("/fn/webhook/rules").body().contains("\"dynamic\":true") && System.nanoTime() < until) {
            Thread.sleep(100); // phase 2 stores it with the batch
        }
        assertTrue(serve.get("/fn/webhook/rules").body().contains("\"dynamic\":true"));
    }

    @Test
    @Order(3)
    void shouldCountEveryRequestThatReachedTheHandlerEvenWhenCallersGaveUp() throws Exception {
        long decidedBefore = ForkedServe.number(settledStats(), "decided");
        long okBefore = metric("ringfence_requests_total{route=\"webhook\",outcome=\"OK\"}");
        AtomicInteger gaveUp = new AtomicInteger();
        ExecutorService callers = Executors.newFixedThreadPool(8);
        // the impatient requests on a client of their own: the JDK's client may fire a timed-out
        // request's response timer on the next request of the same pooled connection
        HttpClient impatientClient = HttpClient.newHttpClient();
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            int caller = c;
            done.add(callers.submit(() -> {
                for (int i = 0; i < 25; i++) {
                    boolean impatient = i % 5 == 0; // a fifth of each caller's requests give up after 20 ms
                    HttpRequest.Builder b = serve.request("/fn/webhook").header("Content-Type", "application/json")
                            .timeout(Duration.ofMillis(impatient ? 20 : 30_000))
                            .POST(HttpRequest.BodyPublishers.ofString(email("edge-" + caller, "x@ok.example",
                                    "load " + caller + " " + (char) ('a' + i))));
                    try {
                        HttpResponse<String> r = impatient
                                ? impatientClient.send(b.build(), HttpResponse.BodyHandlers.ofString()) : serve.send(b);
                        assertEquals(200, r.statusCode(), r.body());
                    } catch (IOException e) {
                        // the client's response timer: an HttpTimeoutException, or on JDK 17 at times the
                        // connection it closed ("header parser received no bytes")
                        if (!impatient) {
                            throw e;
                        }
                        gaveUp.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(120, TimeUnit.SECONDS);
        }
        callers.shutdown();
        long until = System.nanoTime() + LONG;
        while (!serve.status("webhook").contains("\"inflight\":0,") && System.nanoTime() < until) {
            Thread.sleep(50); // the requests whose callers left still run to their end
        }
        long reached = metric("ringfence_requests_total{route=\"webhook\",outcome=\"OK\"}") - okBefore;
        String s = settledStats();
        long decided = ForkedServe.number(s, "decided") - decidedBefore;
        assertEquals(reached, decided, "one decision per request that reached the handler (" + gaveUp + " gave up)");
        assertTrue(decided >= 160, "every patient caller's request was decided: " + decided);
        assertEquals(ForkedServe.number(s, "decided"), ForkedServe.number(s, "total"), "zero lost: " + s);
        assertEquals(0, metric("ringfence_deferred_total{route=\"webhook\",outcome=\"ERROR\"}"));
        assertTrue(metric("ringfence_deferred_total{route=\"webhook\",outcome=\"OK\"}") > 0);
    }
}
