package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.pipeline.TestJars;
import fixtures.process.LoadsLibrary;
import fixtures.process.NativeHoard;
import fixtures.serve.Uninterruptible;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code serve DIR} with routes on the default {@code isolation=auto}, in a forked JVM over real
 * HTTP on loopback: a version starts in-process and moves to a child JVM when it shows that one
 * JVM cannot contain it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServeAutoIT {
    private static final long LONG = TimeUnit.SECONDS.toNanos(60);
    /** Where the JDK's native libraries are: {@link LoadsLibrary} loads one of them. */
    private static final Path JDK_LIBS = Path.of(System.getProperty("java.home"), "lib");

    private static Path dir;
    private static ForkedServe serve;
    /** Where the fixtures jar is written; JUnit deletes it after the class. */
    @TempDir
    static Path fixturesDir;
    private static Path fixtures;

    private static void route(String name, String settings) throws IOException {
        ForkedServe.route(dir, name, settings, fixtures);
    }

    @BeforeAll
    static void startServer() throws Exception {
        dir = Files.createTempDirectory("ringfence-serve-auto-it");
        fixtures = TestJars.jar(fixturesDir.resolve("fixtures.jar"), "auto-it",
                Uninterruptible.class, LoadsLibrary.class, NativeHoard.class);
        route("stuck", "handler=fixtures.serve.Uninterruptible\ntimeout=1s\nretry.max=0\nbreaker.failures=1000\n");
        route("library", "handler=fixtures.process.LoadsLibrary\ntimeout=60s\npolicy.native=true\npolicy.read="
                + JDK_LIBS + "\n");
        route("denied", "handler=fixtures.process.LoadsLibrary\ntimeout=60s\npolicy.read=" + JDK_LIBS + "\n");
        route("hoard", "handler=fixtures.process.NativeHoard\ntimeout=60s\nnative=8m\n");
        serve = ForkedServe.start(dir);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (serve != null) {
            serve.close();
        }
        ForkedServe.deleteTrees(dir, fixtures.getParent());
    }
    @Test
    @Order(1)
    void shouldStartInProcess() throws Exception {
        assertEquals("free", serve.get("/fn/stuck").body());
        String s = serve.status("stuck");
        assertTrue(s.contains("\"tier\":\"auto\"") && s.contains("\"runningIn\":\"in-process\""), s);
        assertEquals(-1, ForkedServe.number(s, "childPid"));
        assertTrue(serve.process().descendants().findAny().isEmpty(), "no child JVM before a version needs one");
    }

    @Test
    @Order(2)
    void shouldMoveAVersionWhoseThreadWasAbandonedToAChildAndKeepServingIt() throws Exception {
        HttpResponse<String> r = serve.get("/fn/stuck?stuck=1");
        assertEquals(504, r.statusCode(), r.body());
        assertEquals("TIMEOUT", ForkedServe.outcome(r));

        // the thread is abandoned a grace after the answer; the version then moves
        long until = System.nanoTime() + LONG;
        while (!serve.status("stuck").contains("\"runningIn\":\"process\"") && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        String s = serve.status("stuck");
        assertTrue(s.contains("\"runningIn\":\"process\""), s);
        assertTrue(s.contains("\"reason\":\"stuck-thread\""), s);
        assertTrue(s.contains("\"quarantined\":false"), "moved, not quarantined: " + s);
        HttpResponse<String> next = serve.getPast504("/fn/stuck"); // the child is starting
        assertEquals(200, next.statusCode(), next.body());
        assertEquals("free", next.body());
        long pid = ForkedServe.number(serve.status("stuck"), "childPid");
        assertTrue(serve.process().descendants().anyMatch(p -> p.pid() == pid), "the version runs in the server's child " + pid);

        // stuck again: in the child now, killed with its process
        HttpResponse<String> again = serve.get("/fn/stuck?stuck=1");
        assertEquals(504, again.statusCode(), again.body());
        assertTrue(again.body().contains("killed"), again.body());
        ProcessHandle.of(pid).ifPresent(p -> p.onExit().orTimeout(30, TimeUnit.SECONDS).join()); // killed: it ends
        assertTrue(serve.get("/metrics").body().contains("ringfence_escalations_total{route=\"stuck\",reason=\"stuck-thread\"} 1"));
        assertTrue((serve.out() + serve.err()).contains("\"event\":\"escalated\",\"route\":\"stuck\""), serve.err());
    }

    @Test
    @Order(3)
    void shouldRunARequestForANativeLibraryItsPolicyAllowsInAChild() throws Exception {
        assertTrue(serve.status("library").contains("\"runningIn\":\"in-process\""));

        HttpResponse<String> r = serve.get("/fn/library");

        assertEquals(200, r.statusCode(), () -> r.body() + "\n" + serve.err());
        assertTrue(r.body().startsWith("loaded "), "denied in-process, it ran again in the child, which honours the"
                + " policy: " + r.body());
        String s = serve.status("library");
        assertTrue(s.contains("\"runningIn\":\"process\"") && s.contains("\"reason\":\"native-library\""), s);
        assertNotEquals(-1, ForkedServe.number(s, "childPid"));
    }

    @Test
    @Order(4)
    void shouldDenyANativeLibraryThePolicyDoesNotAllowAndStayInProcess() throws Exception {
        HttpResponse<String> r = serve.get("/fn/denied");

        assertEquals("DENIED", ForkedServe.outcome(r), r.body());
        assertTrue(r.body().contains("from fixtures.process.LoadsLibrary"), r.body());
        String s = serve.status("denied");
        assertTrue(s.contains("\"runningIn\":\"in-process\""), s);
        assertEquals(-1, ForkedServe.number(s, "childPid"));
    }

    @Test
    @Order(5)
    void shouldMoveAVersionThatPassedItsNativeBudgetToAChild() throws Exception {
        HttpResponse<String> r = serve.get("/fn/hoard?n=16");

        assertEquals("NATIVE_EXCEEDED", ForkedServe.outcome(r), r.body());
        String s = serve.status("hoard");
        assertTrue(s.contains("\"runningIn\":\"process\"") && s.contains("\"reason\":\"native-budget\""), s);
        HttpResponse<String> small = serve.getPast504("/fn/hoard?n=2"); // the child is starting
        assertEquals("kept 2", small.body(), "a fresh child holds only what this request kept");
    }

    @Test
    @Order(6)
    void shouldStopTheChildOfAVersionWhoseThreadWasAbandonedOnceANewVersionReplacesIt() throws Exception {
        // the version moved in order 2; its first request's thread is still stuck in this server,
        // holding the version, and will never return
        HttpResponse<String> served = serve.getPast504("/fn/stuck"); // its replacement child may be starting
        assertEquals("free", served.body());
        String before = serve.status("stuck");
        long child = ForkedServe.number(before, "childPid");
        assertTrue(child > 0 && before.contains("\"runningIn\":\"process\""), before);

        Path v2 = TestJars.jar(fixturesDir.resolve("v2.jar"), "auto-it-v2", Uninterruptible.class);
        Files.copy(v2, dir.resolve("stuck").resolve("fixtures.jar"), StandardCopyOption.REPLACE_EXISTING);
        long until = System.nanoTime() + LONG;
        while (!serve.status("stuck").contains("\"runningIn\":\"in-process\"") && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        String after = serve.status("stuck");
        assertTrue(after.contains("\"runningIn\":\"in-process\""), "the new version starts in-process: " + after);

        // the old version stays loaded for the stuck thread, but its child has no use any more
        ProcessHandle.of(child).ifPresent(p -> p.onExit().orTimeout(30, TimeUnit.SECONDS).join());
        assertTrue(ProcessHandle.of(child).map(p -> !p.isAlive()).orElse(true), "the replaced version's child " + child);
        assertEquals("free", serve.get("/fn/stuck").body());
    }
}
