package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code java -jar ringfence-agent.jar serve DIR --port 0} in a forked JVM, spoken to over real
 * HTTP on loopback. One server for the class; the last test stops it with SIGTERM.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServeIT {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
    private static final Pattern METRIC_LINE = Pattern.compile(
            "[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\",?)*\\})? "
                    + "(-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[+-]Inf)");

    private static Path dir;
    private static Path out;
    private static Path err;
    private static Process server;
    private static String base;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static void route(String name, String settings) throws IOException {
        ForkedServe.route(dir, name, settings, Cli.SAMPLES_JAR);
    }

    @BeforeAll
    static void startServer() throws Exception {
        dir = Files.createTempDirectory("ringfence-serve-it");
        route("hello", "handler=dev.ringfence.samples.Hello\n");
        route("spin", "handler=dev.ringfence.samples.budget.SpinLoop\ncpu=200ms\nbreaker.failures=1000\n");
        route("sleep", "handler=dev.ringfence.samples.budget.SleepForever\ntimeout=2s\nmaxInflight=1\nmaxQueue=1\n"
                + "breaker.failures=1000\n");
        route("small", "handler=dev.ringfence.samples.Hello\nmaxBodyBytes=1k\n");
        route("lazy", "handler=dev.ringfence.samples.Hello\nidle=1s\n");
        out = Files.createTempFile("ringfence-serve", ".out");
        err = Files.createTempFile("ringfence-serve", ".err");
        server = new ProcessBuilder(Cli.JAVA, "-Xmx256m", "-jar", Cli.AGENT_JAR.toString(), "serve", dir.toString(),
                "--port", "0").redirectOutput(out.toFile()).redirectError(err.toFile()).start();
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
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return HTTP.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String outcome(HttpResponse<?> r) {
        return r.headers().firstValue("X-Ringfence-Outcome").orElse("(none)");
    }

    @Test
    @Order(1)
    void shouldAnswerHelloWithItsHeaders() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/fn/hello/some/path?name=ada"))
                .header("X-Request-Id", "it-hello-1").GET());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("hello, ada", r.body());
        assertEquals("OK", outcome(r));
        assertEquals("it-hello-1", r.headers().firstValue("X-Request-Id").orElse(null));
        assertTrue(r.headers().firstValue("X-Ringfence-Version").orElse("").matches("[0-9a-f]{12}"), r.headers().toString());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        assertFalse(get("/fn/hello").headers().firstValue("X-Request-Id").orElse("").isEmpty(), "an id is generated");
    }

    @Test
    @Order(2)
    void shouldAnswer404ForAnUnknownRoute() throws Exception {
        HttpResponse<String> r = get("/fn/nope");
        assertEquals(404, r.statusCode());
        assertEquals("NOT_FOUND", outcome(r));
        assertTrue(r.body().startsWith("{\"error\":{\"code\":\"NOT_FOUND\""), r.body());
        assertEquals(404, get("/elsewhere").statusCode());
    }

    @Test
    @Order(3)
    void shouldStopHostileRoutesWhileHelloStillAnswers() throws Exception {
        CompletableFuture<HttpResponse<String>> spin = HTTP.sendAsync(
                HttpRequest.newBuilder(URI.create(base + "/fn/spin")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        CompletableFuture<HttpResponse<String>> sleep = HTTP.sendAsync(
                HttpRequest.newBuilder(URI.create(base + "/fn/sleep")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> hello = get("/fn/hello");
        assertEquals(200, hello.statusCode());
        HttpResponse<String> s = spin.get(30, TimeUnit.SECONDS);
        assertEquals(500, s.statusCode(), s.body());
        assertEquals("CPU_EXCEEDED", outcome(s));
        assertTrue(s.body().contains("\"code\":\"CPU_EXCEEDED\""), s.body());
        HttpResponse<String> t = sleep.get(30, TimeUnit.SECONDS);
        assertEquals(504, t.statusCode(), t.body());
        assertEquals("TIMEOUT", outcome(t));
    }

    @Test
    @Order(4)
    void shouldRejectOverloadAtOnceWithRetryAfter() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            calls.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base + "/fn/sleep")).timeout(Duration.ofSeconds(30))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        int rejected = 0;
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            HttpResponse<String> r = c.get(30, TimeUnit.SECONDS);
            if (r.statusCode() == 503) {
                rejected++;
                assertEquals("REJECTED", outcome(r));
                assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
            } else {
                assertEquals(504, r.statusCode(), r.body());
            }
        }
        assertTrue(rejected >= 1, "with one slot and one queue place, eight at once cannot all get in");
    }

    @Test
    @Order(5)
    void shouldRefuseABodyOverMaxBodyBytes() throws Exception {
        HttpResponse<String> big = send(HttpRequest.newBuilder(URI.create(base + "/fn/small"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(2048))));
        assertEquals(413, big.statusCode(), big.body());
        assertEquals("BODY_TOO_LARGE", outcome(big));
        HttpResponse<String> fits = send(HttpRequest.newBuilder(URI.create(base + "/fn/small"))
                .POST(HttpRequest.BodyPublishers.ofString("ada")));
        assertEquals("hello, ada", fits.body());
    }

    @Test
    @Order(6)
    void shouldServeANewJarWithinSecondsWithoutFailingARequest() throws Exception {
        String before = get("/fn/hello").headers().firstValue("X-Ringfence-Version").orElseThrow();
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger served = new AtomicInteger();
        Thread client = new Thread(() -> {
            while (!stop.get()) {
                try {
                    HttpResponse<String> r = get("/fn/hello?name=reload");
                    if (r.statusCode() != 200 || !r.body().equals("hello, reload")) {
                        failures.add(r.statusCode() + " " + r.body());
                    }
                    served.incrementAndGet();
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }
        });
        client.start();
        Path folder = dir.resolve("hello");
        Path tmp = folder.resolve(".samples.jar.tmp");
        copyWithMarker(Cli.SAMPLES_JAR, tmp, "version two");
        Files.move(tmp, folder.resolve("samples.jar"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        String after = before;
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (after.equals(before) && System.nanoTime() < until) {
            after = get("/fn/hello").headers().firstValue("X-Ringfence-Version").orElseThrow();
            Thread.sleep(50);
        }
        Thread.sleep(300); // a few more requests on the new version
        stop.set(true);
        client.join(30_000);
        assertNotEquals(before, after, "the new version did not answer within 10 s");
        assertTrue(failures.isEmpty(), () -> "failed during the reload: " + failures);
        assertTrue(served.get() > 0);
        String status = get("/status").body();
        assertTrue(status.contains("\"version\":\"" + after + "\""), status);
    }

    /** Copies a jar and adds one entry, so the copy is a new version of the same classes. */
    private static void copyWithMarker(Path from, Path to, String marker) throws IOException {
        try (InputStream in = Files.newInputStream(from); ZipInputStream zin = new ZipInputStream(in);
                OutputStream o = Files.newOutputStream(to); ZipOutputStream zout = new ZipOutputStream(o)) {
            for (ZipEntry e = zin.getNextEntry(); e != null; e = zin.getNextEntry()) {
                zout.putNextEntry(new ZipEntry(e.getName()));
                zin.transferTo(zout);
                zout.closeEntry();
            }
            zout.putNextEntry(new ZipEntry("marker.txt"));
            zout.write(marker.getBytes(StandardCharsets.UTF_8));
            zout.closeEntry();
        }
    }

    @Test
    @Order(7)
    void shouldScaleAnIdleRouteToZeroAndAnswerTheNextRequest() throws Exception {
        assertEquals(200, get("/fn/lazy").statusCode());
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        boolean parked = false;
        while (!parked && System.nanoTime() < until) {
            parked = get("/status").body().contains("\"name\":\"lazy\",\"handler\":\"dev.ringfence.samples.Hello\","
                    + "\"version\":null");
            Thread.sleep(100);
        }
        assertTrue(parked, "not scaled to zero 15 s after its last request with idle=1s");
        long before = coldStarts();
        HttpResponse<String> cold = get("/fn/lazy?name=again");
        assertEquals(200, cold.statusCode(), cold.body());
        assertEquals("hello, again", cold.body());
        assertEquals(before + 1, coldStarts());
    }

    private static long coldStarts() throws Exception {
        Matcher m = Pattern.compile("ringfence_cold_starts_total\\{route=\"lazy\"\\} (\\d+)").matcher(get("/metrics").body());
        assertTrue(m.find());
        return Long.parseLong(m.group(1));
    }

    @Test
    @Order(8)
    void shouldExposeMetricsThatParseAndStatusAsJson() throws Exception {
        HttpResponse<String> m = get("/metrics");
        assertEquals(200, m.statusCode());
        assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        int samples = 0;
        for (String line : m.body().split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            assertTrue(METRIC_LINE.matcher(line).matches(), "not name{labels} value: " + line);
            samples++;
        }
        assertTrue(samples > 50, m.body());
        assertTrue(m.body().contains("ringfence_requests_total{route=\"spin\",outcome=\"CPU_EXCEEDED\"} 1"), m.body());
        assertTrue(m.body().contains("ringfence_rejections_total{route=\"sleep\"}"), m.body());
        assertTrue(m.body().contains("ringfence_jvm_metaspace_used_bytes"), m.body());
        Promtool.assertAccepts(m.body());
        HttpResponse<String> s = get("/status");
        assertEquals(200, s.statusCode());
        assertTrue(s.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonCheck.assertValid(s.body());
        assertTrue(s.body().contains("\"name\":\"hello\"") && s.body().contains("\"tier\":\"auto\",")
                && s.body().contains("\"loadedClasses\":"), s.body());
    }

    @Test
    @Order(9)
    void shouldDrainAndExitZeroOnSigterm() throws Exception {
        server.destroy(); // SIGTERM
        assertTrue(server.waitFor(30, TimeUnit.SECONDS), "still running 30 s after SIGTERM");
        assertEquals(0, server.exitValue(), read(err));
        String log = read(err);
        assertTrue(log.contains("\"event\":\"stopped\""), log);
        assertTrue(log.contains("\"event\":\"reload\",\"route\":\"hello\""), log);
    }

    @Test
    @Order(10)
    void shouldServeARouteWrittenJustBeforeTheServerStarted() throws Exception {
        Path fresh = Files.createTempDirectory("ringfence-serve-fresh");
        try {
            Path folder = ForkedServe.route(fresh, "hello", "handler=dev.ringfence.samples.Hello\n", Cli.SAMPLES_JAR);
            // as if still being copied when the server starts: the files' times are ahead of the
            // clock, so only their looking the same for the settle time settles the folder
            FileTime ahead = FileTime.fromMillis(System.currentTimeMillis() + 60_000);
            try (var files = Files.list(folder)) {
                for (Path f : files.toList()) {
                    Files.setLastModifiedTime(f, ahead);
                }
            }
            try (ForkedServe fs = ForkedServe.start(fresh)) {
                assertTrue(fs.out().contains(": hello)"), "listening before its routes loaded: " + fs.out() + fs.err());
                HttpResponse<String> r = fs.get("/fn/hello?name=ada");
                assertEquals(200, r.statusCode(), r.body());
            }
        } finally {
            ForkedServe.deleteTrees(fresh);
        }
    }
}
