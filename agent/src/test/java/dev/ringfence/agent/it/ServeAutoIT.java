package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.pipeline.TestJars;
import fixtures.process.LoadsLibrary;
import fixtures.process.NativeHoard;
import fixtures.serve.Uninterruptible;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * {@code serve DIR} with routes on the default {@code isolation=auto}, in a forked JVM over real
 * HTTP on loopback: a version starts in-process and moves to a child JVM when it shows that one
 * JVM cannot contain it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServeAutoIT {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
    private static final long LONG = TimeUnit.SECONDS.toNanos(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Where the JDK's native libraries are: {@link LoadsLibrary} loads one of them. */
    private static final Path JDK_LIBS = Path.of(System.getProperty("java.home"), "lib");

    private static Path dir;
    private static Path fixtures;
    private static Path out;
    private static Path err;
    private static Process server;
    private static String base;

    private static void route(String name, String settings) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(name));
        Files.copy(fixtures, folder.resolve("fixtures.jar"));
        Files.writeString(folder.resolve("route.properties"), settings);
    }

    @BeforeAll
    static void startServer() throws Exception {
        dir = Files.createTempDirectory("ringfence-serve-auto-it");
        fixtures = TestJars.jar(Files.createTempDirectory("ringfence-fixtures").resolve("fixtures.jar"), "auto-it",
                Uninterruptible.class, LoadsLibrary.class, NativeHoard.class);
        route("stuck", "handler=fixtures.serve.Uninterruptible\ntimeout=1s\nretry.max=0\nbreaker.failures=1000\n");
        route("library", "handler=fixtures.process.LoadsLibrary\ntimeout=60s\npolicy.native=true\npolicy.read="
                + JDK_LIBS + "\n");
        route("denied", "handler=fixtures.process.LoadsLibrary\ntimeout=60s\npolicy.read=" + JDK_LIBS + "\n");
        route("hoard", "handler=fixtures.process.NativeHoard\ntimeout=60s\nnative=8m\n");
        out = Files.createTempFile("ringfence-serve-auto", ".out");
        err = Files.createTempFile("ringfence-serve-auto", ".err");
        server = new ProcessBuilder(Cli.JAVA, "-Xmx256m", "-jar", Cli.AGENT_JAR.toString(), "serve", dir.toString(),
                "--port", "0").redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        long until = System.nanoTime() + LONG;
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
        if (server != null) {
            List<ProcessHandle> left = server.descendants().toList();
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            left.forEach(ProcessHandle::destroyForcibly);
        }
        for (Path d : new Path[] {dir, fixtures.getParent()}) {
            try (Stream<Path> all = Files.walk(d)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
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
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(90)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String outcome(HttpResponse<?> r) {
        return r.headers().firstValue("X-Ringfence-Outcome").orElse("(none)");
    }

    /** The route's object in {@code /status}: from its name to the next route's. */
    private static String status(String route) throws Exception {
        String body = get("/status").body();
        int at = body.indexOf("{\"name\":\"" + route + "\"");
        assertTrue(at >= 0, body);
        int next = body.indexOf("{\"name\":", at + 1);
        return body.substring(at, next < 0 ? body.length() : next);
    }

    private static long number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(-?\\d+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return Long.parseLong(m.group(1));
    }

    @Test
    @Order(1)
    void shouldStartInProcess() throws Exception {
        assertEquals("free", get("/fn/stuck").body());
        String s = status("stuck");
        assertTrue(s.contains("\"tier\":\"auto\"") && s.contains("\"runningIn\":\"in-process\""), s);
        assertEquals(-1, number(s, "childPid"));
        assertTrue(server.descendants().findAny().isEmpty(), "no child JVM before a version needs one");
    }

    @Test
    @Order(2)
    void shouldMoveAVersionWhoseThreadWasAbandonedToAChildAndKeepServingIt() throws Exception {
        HttpResponse<String> r = get("/fn/stuck?stuck=1");
        assertEquals(504, r.statusCode(), r.body());
        assertEquals("TIMEOUT", outcome(r));

        // the thread is abandoned a grace after the answer; the version then moves
        long until = System.nanoTime() + LONG;
        while (!status("stuck").contains("\"runningIn\":\"process\"") && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        String s = status("stuck");
        assertTrue(s.contains("\"runningIn\":\"process\""), s);
        assertTrue(s.contains("\"reason\":\"stuck-thread\""), s);
        assertTrue(s.contains("\"quarantined\":false"), "moved, not quarantined: " + s);
        HttpResponse<String> next = get("/fn/stuck");
        while (next.statusCode() == 504 && System.nanoTime() < until) {
            next = get("/fn/stuck"); // the child is starting (on a loaded machine its first request may take a while)
        }
        assertEquals(200, next.statusCode(), next.body());
        assertEquals("free", next.body());
        long pid = number(status("stuck"), "childPid");
        assertTrue(server.descendants().anyMatch(p -> p.pid() == pid), "the version runs in the server's child " + pid);

        // stuck again: in the child now, killed with its process
        HttpResponse<String> again = get("/fn/stuck?stuck=1");
        assertEquals(504, again.statusCode(), again.body());
        assertTrue(again.body().contains("killed"), again.body());
        ProcessHandle.of(pid).ifPresent(p -> p.onExit().orTimeout(30, TimeUnit.SECONDS).join()); // killed: it ends
        assertTrue(get("/metrics").body().contains("ringfence_escalations_total{route=\"stuck\",reason=\"stuck-thread\"} 1"));
        assertTrue((read(out) + read(err)).contains("\"event\":\"escalated\",\"route\":\"stuck\""), read(err));
    }

    @Test
    @Order(3)
    void shouldRunARequestForANativeLibraryItsPolicyAllowsInAChild() throws Exception {
        assertTrue(status("library").contains("\"runningIn\":\"in-process\""));

        HttpResponse<String> r = get("/fn/library");

        assertEquals(200, r.statusCode(), () -> r.body() + "\n" + read(err));
        assertTrue(r.body().startsWith("loaded "), "denied in-process, it ran again in the child, which honours the"
                + " policy: " + r.body());
        String s = status("library");
        assertTrue(s.contains("\"runningIn\":\"process\"") && s.contains("\"reason\":\"native-library\""), s);
        assertNotEquals(-1, number(s, "childPid"));
    }

    @Test
    @Order(4)
    void shouldDenyANativeLibraryThePolicyDoesNotAllowAndStayInProcess() throws Exception {
        HttpResponse<String> r = get("/fn/denied");

        assertEquals("DENIED", outcome(r), r.body());
        assertTrue(r.body().contains("from fixtures.process.LoadsLibrary"), r.body());
        String s = status("denied");
        assertTrue(s.contains("\"runningIn\":\"in-process\""), s);
        assertEquals(-1, number(s, "childPid"));
    }

    @Test
    @Order(5)
    void shouldMoveAVersionThatPassedItsNativeBudgetToAChild() throws Exception {
        HttpResponse<String> r = get("/fn/hoard?n=16");

        assertEquals("NATIVE_EXCEEDED", outcome(r), r.body());
        String s = status("hoard");
        assertTrue(s.contains("\"runningIn\":\"process\"") && s.contains("\"reason\":\"native-budget\""), s);
        HttpResponse<String> small = get("/fn/hoard?n=2");
        long until = System.nanoTime() + LONG;
        while (small.statusCode() == 504 && System.nanoTime() < until) {
            small = get("/fn/hoard?n=2"); // the child is starting
        }
        assertEquals("kept 2", small.body(), "a fresh child holds only what this request kept");
    }
}
