package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringfence.agent.pipeline.TestJars;
import fixtures.process.LoadsLibrary;
import fixtures.process.NativeHoard;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory outside the heap and native libraries under {@code serve}, with the real agent jar and
 * real children: the per-invocation {@code native} budget in both tiers, a child's own direct
 * memory cap, and {@code policy.native}, honoured only by the process tier.
 */
class NativeMemoryIT {
    private static final String HOARD = "handler=fixtures.process.NativeHoard\nbreaker.failures=1000\nretry.max=0\ntimeout=60s\n";

    private static Path dir;
    private static ForkedServe serve;
    /** Where the fixtures jar is written; JUnit deletes it after the class. */
    @TempDir
    static Path fixturesDir;
    private static Path fixtures;
    private static Path maps;

    private static void route(String name, String settings) throws IOException {
        ForkedServe.route(dir, name, settings, fixtures);
    }

    @BeforeAll
    static void startServer() throws Exception {
        dir = Files.createTempDirectory("ringfence-native-it");
        fixtures = TestJars.jar(fixturesDir.resolve("fixtures.jar"), "native-it",
                NativeHoard.class, LoadsLibrary.class);
        route("hoard", HOARD + "native=8m\nisolation=in-process\n");
        route("hoard-arena", HOARD + "native=8m\nisolation=in-process\n");
        maps = Files.createTempDirectory("ringfence-maps").toRealPath();
        route("hoard-map", HOARD + "native=8m\nisolation=in-process\npolicy.write=" + maps + "\n");
        route("hoard-child", HOARD + "isolation=process\nheap=32m\nnative=8m\n");
        route("lib-child", "handler=fixtures.process.LoadsLibrary\nisolation=process\nheap=32m\npolicy.native=true\ntimeout=60s\n");
        route("lib-child-denied", "handler=fixtures.process.LoadsLibrary\nisolation=process\nheap=32m\ntimeout=60s\n");
        route("lib-here-denied", "handler=fixtures.process.LoadsLibrary\n");
        route("lib-here", "handler=fixtures.process.LoadsLibrary\npolicy.native=true\nisolation=in-process\n");
        serve = ForkedServe.start(dir);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (serve != null) {
            serve.close();
        }
        ForkedServe.deleteTrees(dir, maps, fixtures.getParent());
    }

    @Test
    void shouldEndAnInvocationPastItsDirectMemoryBudgetInProcessEvenWhenItCatchesEverything() throws Exception {
        HttpResponse<String> within = serve.get("/fn/hoard?n=4");
        assertEquals(200, within.statusCode(), within.body());

        for (String q : new String[] {"n=16", "n=16&swallow=1", "how=deflater&n=100"}) {
            HttpResponse<String> r = serve.get("/fn/hoard?" + q);
            assertEquals("NATIVE_EXCEEDED", ForkedServe.outcome(r), q + ": " + r.body());
            assertEquals(500, r.statusCode());
            assertTrue(r.body().contains("would pass the native memory budget of 8388608 bytes"), r.body());
        }
        String metrics = serve.get("/metrics").body();
        assertTrue(metrics.contains("ringfence_requests_total{route=\"hoard\",outcome=\"NATIVE_EXCEEDED\"} 3"), metrics);
    }

    @Test
    void shouldChargeNativeMemorySegmentsThatBypassTheDirectMemoryCap() throws Exception {
        assumeTrue(Runtime.version().feature() >= 25, "java.lang.foreign's arenas are final from JDK 22; checked on 25");
        HttpResponse<String> r = serve.get("/fn/hoard-arena?how=arena&n=16");
        assertEquals("NATIVE_EXCEEDED", ForkedServe.outcome(r), r.body());
        assertTrue(r.body().contains("java.lang.foreign.Arena.allocate"), r.body());
    }

    @Test
    void shouldChargeFileMappingsByTheirSize() throws Exception {
        String file = maps.resolve("mapped.bin").toString();
        HttpResponse<String> within = serve.get("/fn/hoard-map?how=map&n=4&file=" + file);
        assertEquals(200, within.statusCode(), within.body());

        HttpResponse<String> r = serve.get("/fn/hoard-map?how=map&n=16&file=" + file);

        assertEquals("NATIVE_EXCEEDED", ForkedServe.outcome(r), r.body());
        assertTrue(r.body().contains("java.nio.channels.FileChannel.map"), r.body());
    }

    @Test
    void shouldEndNativeExceededInAChildAndReplaceIt() throws Exception {
        assertEquals(200, serve.get("/fn/hoard-child?n=4").statusCode());
        long first = ForkedServe.number(serve.status("hoard-child"), "childPid");

        HttpResponse<String> r = serve.get("/fn/hoard-child?n=16");

        assertEquals("NATIVE_EXCEEDED", ForkedServe.outcome(r), r.body());
        HttpResponse<String> next = serve.get("/fn/hoard-child?n=1");
        assertEquals("kept 1", next.body(), "a new child, with nothing kept");
        String s = serve.status("hoard-child");
        assertNotEquals(first, ForkedServe.number(s, "childPid"));
        assertTrue(ForkedServe.number(s, "childrenStarted") >= 2, s);
        assertTrue(ForkedServe.number(s, "hardLimitBytes") > ForkedServe.number(s, "softLimitBytes"), s);
    }

    @Test
    void shouldTurnTheChildsOwnDirectMemoryCapIntoNativeExceeded() throws Exception {
        // 6 MiB kept per request: by the second, the child's -XX:MaxDirectMemorySize of 8 MiB is
        // passed, though each request stays within its own per-invocation budget; the handler
        // catches the OutOfMemoryError, and still cannot carry on
        String seen = "";
        for (int i = 0; i < 3 && !seen.startsWith("NATIVE_EXCEEDED"); i++) {
            HttpResponse<String> r = serve.get("/fn/hoard-child?n=6&swallow=1");
            seen = ForkedServe.outcome(r) + " " + r.body();
        }
        assertTrue(seen.startsWith("NATIVE_EXCEEDED") && seen.contains("direct buffer memory"), seen);
    }

    @Test
    void shouldLetOnlyAProcessRouteThatAllowsItLoadANativeLibrary() throws Exception {
        HttpResponse<String> loaded = serve.get("/fn/lib-child");
        assertEquals(200, loaded.statusCode(), loaded.body());
        assertTrue(loaded.body().startsWith("loaded "), loaded.body());

        HttpResponse<String> denied = serve.get("/fn/lib-child-denied");
        assertEquals("DENIED", ForkedServe.outcome(denied), denied.body());
        assertTrue(denied.body().contains("from fixtures.process.LoadsLibrary"), denied.body());
        HttpResponse<String> here = serve.get("/fn/lib-here-denied");
        assertEquals("DENIED", ForkedServe.outcome(here), here.body());
    }

    @Test
    void shouldRefuseAnInProcessRouteThatAllowsNativeLibraries() throws Exception {
        HttpResponse<String> r = serve.get("/fn/lib-here");
        assertEquals(500, r.statusCode(), r.body());
        assertTrue(r.body().contains("has no handler version loaded") && r.body().contains("policy.native=true: native"
                + " libraries are allowed only in the process tier"), r.body());
        String log = serve.err();
        assertTrue(log.contains("\"route\":\"lib-here\"") && log.contains("native libraries are allowed only in the"
                + " process tier"), log);
    }
}
