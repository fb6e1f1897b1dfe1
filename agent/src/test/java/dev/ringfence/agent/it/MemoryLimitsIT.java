package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code serve} with a 192 MB heap, {@code memory.soft=50%} and {@code memory.hard=62%}, in a
 * forked JVM over real HTTP: a route whose handler keeps what it allocates in a static field
 * ({@code dev.ringfence.samples.Hoard}) is paused past the soft limit (503), and recycled past the
 * hard one, which frees what it kept. One server for the class; the tests run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MemoryLimitsIT {
    private static final long MB = 1 << 20;
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Path dir;
    private static Path out;
    private static Path err;
    private static Process server;
    private static String base;
    /** What {@code hoard} kept when it was paused, in MB. */
    private static int kept;

    private static void route(String name, String handler) throws IOException {
        ForkedServe.route(dir.resolve("routes"), name, "handler=" + handler + "\n", Cli.SAMPLES_JAR);
    }

    @BeforeAll
    static void startServer() throws Exception {
        dir = Files.createTempDirectory("ringfence-memory-it");
        route("hoard", "dev.ringfence.samples.Hoard");
        route("hoard2", "dev.ringfence.samples.Hoard");
        route("hello", "dev.ringfence.samples.Hello");
        Path config = Files.writeString(dir.resolve("ringfence.properties"),
                "memory.soft=50%\nmemory.hard=62%\nmemory.interval=200ms\n");
        out = dir.resolve("out.txt");
        err = dir.resolve("err.txt");
        server = new ProcessBuilder(Cli.JAVA, "-Xmx192m", "-jar", Cli.AGENT_JAR.toString(), "serve",
                dir.resolve("routes").toString(), "--port", "0", "--config", config.toString())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (base == null && System.nanoTime() < until && server.isAlive()) {
            Matcher m = LISTENING.matcher(Files.readString(out));
            if (m.find()) {
                base = m.group(1);
            } else {
                Thread.sleep(50);
            }
        }
        assertNotNull(base, () -> "the server did not say where it listens:\n" + read(out) + read(err));
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null && server.isAlive()) {
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String outcome(HttpResponse<?> r) {
        return r.headers().firstValue("X-Ringfence-Outcome").orElse("(none)");
    }

    /** Waits (at most 20 s) for a log line that matches. */
    private static String awaitLog(Predicate<String> line) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < until) {
            String found = read(err).lines().filter(line).findFirst().orElse(null);
            if (found != null) {
                return found;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no such log line within 20 s:\n" + read(err));
    }

    private static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        assertTrue(m.find(), () -> field + " not in " + json);
        return Long.parseLong(m.group(1));
    }

    private static long metric(String series) throws Exception {
        Matcher m = Pattern.compile(Pattern.quote(series) + " (\\d+)").matcher(get("/metrics").body());
        assertTrue(m.find(), series);
        return Long.parseLong(m.group(1));
    }

    @Test
    @Order(1)
    void shouldStopAdmittingTheHoardingRouteAboveTheSoftLimit() throws Exception {
        HttpResponse<String> refused = null;
        for (int i = 0; i < 20 && refused == null; i++) { // 20 × 8 MB would not fit: the pause must come first
            HttpResponse<String> r = get("/fn/hoard?mb=8");
            if (r.statusCode() == 503) {
                refused = r;
            } else {
                assertEquals(200, r.statusCode(), r.body());
                kept = Integer.parseInt(r.body().replaceAll("\\D", ""));
                Thread.sleep(300); // let the watch read the heap between requests
            }
        }
        assertNotNull(refused, () -> "never refused; kept " + kept + " MB\n" + read(err));
        assertEquals("REJECTED", outcome(refused));
        assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
        assertTrue(refused.body().contains("route hoard is paused for memory pressure"), refused.body());
        assertEquals(200, get("/fn/hello").statusCode(), "only the busiest route is paused");
        String status = get("/status").body();
        JsonCheck.assertValid(status);
        assertTrue(status.contains("\"name\":\"hoard\",") && status.contains("\"pausedForMemory\":true"), status);
        assertTrue(status.contains("\"memory\":{\"state\":\"SOFT\""), status);
        assertTrue(metric("ringfence_memory_rejections_total{route=\"hoard\"}") >= 1);
        assertEquals(1, metric("ringfence_paused_for_memory{route=\"hoard\"}"));
        awaitLog(l -> l.contains("\"event\":\"memory-soft\""));
        awaitLog(l -> l.contains("\"event\":\"memory-paused\",\"route\":\"hoard\""));
    }

    @Test
    @Order(2)
    void shouldRecycleTheHoardingRouteAboveTheHardLimitAndFreeWhatItKept() throws Exception {
        String status = get("/status").body();
        long hardMb = number(status, "hardLimitBytes") / MB;
        // another route takes the heap past the hard limit in one request, keeping less than hoard did
        int more = (int) (hardMb - kept + 12);
        assertTrue(more < kept && kept >= 48, () -> "hoard kept too little (" + kept + " MB) for this test's arithmetic");
        HttpResponse<String> r = get("/fn/hoard2?mb=" + more);
        assertEquals(200, r.statusCode(), r.body());
        String recycled = awaitLog(l -> l.contains("\"event\":\"recycled\""));
        assertTrue(recycled.contains("\"route\":\"hoard\""), recycled);
        assertTrue(number(recycled, "heapLiveBeforeBytes") >= hardMb * MB, recycled);
        assertTrue(number(recycled, "heapLiveAfterBytes") < number(recycled, "heapLiveBeforeBytes"), recycled);
        assertTrue(read(err).contains("\"event\":\"memory-hard\""), read(err));
        String normal = awaitLog(l -> l.contains("\"event\":\"memory-normal\""));
        // hoard2 may still have been allocating when hoard was recycled: judge the heap once it is
        // normal again. What hoard kept is gone; what hoard2 keeps and the server's own are left.
        long live = number(normal, "heapLiveBytes");
        assertTrue(live < (more + 32) * MB, () -> "hoard's " + kept + " MB were not freed: " + normal);
        HttpResponse<String> again = get("/fn/hoard?mb=1");
        assertEquals(200, again.statusCode(), again.body());
        assertEquals("kept 1 MB", again.body(), "loaded again, with a new class and an empty static list");
        assertEquals(1, metric("ringfence_recycles_total{route=\"hoard\"}"));
        assertEquals(1, metric("ringfence_cold_starts_total{route=\"hoard\"}"));
        awaitLog(l -> l.contains("\"event\":\"unloaded\",\"route\":\"hoard\""));
    }
}
