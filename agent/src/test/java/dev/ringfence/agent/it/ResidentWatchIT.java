package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.agent.pipeline.TestJars;
import dev.ringfence.agent.process.ChildMemory;
import dev.ringfence.agent.process.ResidentWatch;
import dev.ringfence.agent.process.WorkerProcess;
import dev.ringfence.agent.process.WorkerSpec;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import fixtures.process.NativeHoard;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resident-memory watch with real children that grow native memory no JVM cap bounds: zlib
 * compressors ({@code java.util.zip.Deflater}, about 270 KiB of native state each once fed), kept
 * across requests, under small caps (heap 32 MiB, direct 8 MiB, Metaspace 32 MiB: an envelope of
 * 168 MiB with the JVM's allowance, a soft limit of 142.8 MiB) and no per-invocation native budget.
 */
class ResidentWatchIT {
    private static final long READY = TimeUnit.SECONDS.toNanos(60);
    private static final long LONG = TimeUnit.SECONDS.toNanos(30);
    private static final WorkerSpec.Caps SMALL = new WorkerSpec.Caps(32L << 20, 16L << 20, 8L << 20, 32L << 20, 1L << 20);

    @TempDir
    static Path jars;
    @TempDir
    Path work;

    private static Path fixtures;
    private WorkerProcess worker;

    @BeforeAll
    static void buildFixtureJar() {
        fixtures = TestJars.jar(jars.resolve("fixtures.jar"), "resident", NativeHoard.class);
    }

    @BeforeEach
    void onlyWhereTheResidentSizeCanBeRead() throws Exception {
        assumeTrue(ResidentWatch.residentBytes(ProcessHandle.current().pid()) > 0, "no /proc here");
        worker = new WorkerProcess(WorkerSpec.of(Cli.AGENT_JAR, List.of(fixtures), NativeHoard.class.getName(), work)
                .withCaps(SMALL), ProcessBuilder.Redirect.INHERIT, TimeUnit.MILLISECONDS.toNanos(100),
                TimeUnit.SECONDS.toNanos(2));
        worker.start();
        assertTrue(worker.awaitReady(READY), "the child did not become ready");
    }

    @AfterEach
    void noChildLeftBehind() throws Exception {
        if (worker != null) {
            worker.close();
        }
        Cli.assertNoProcessLeftBehind(10);
        try (var files = Files.list(work)) {
            assertEquals(List.of(), files.toList(), "channel files left in the work directory");
        }
    }

    private InvocationResult hoard(String id, int deflaters, long holdMillis) {
        return worker.invoke(Request.builder(id).query("how", "deflater").query("n", Integer.toString(deflaters))
                .query("hold", Long.toString(holdMillis)).build(), LONG);
    }

    @Test
    void shouldReportTheChildsHeapAndResidentMemory() throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        ChildMemory m = worker.memory();
        while ((m.reportedAtMillis() == 0 || m.residentBytes() <= 0) && System.nanoTime() < until) {
            Thread.sleep(100);
            m = worker.memory();
        }
        assertTrue(m.reportedAtMillis() > 0, "the child reported, with no request in flight: " + m);
        assertTrue(m.heapCommittedBytes() > 0 && m.heapUsedBytes() > 0 && m.heapUsedBytes() <= m.heapCommittedBytes(), m.toString());
        assertTrue(m.directUsedBytes() >= 0, m.toString());
        assertTrue(m.residentBytes() > m.heapUsedBytes(), m.toString());
    }

    @Test
    void shouldRecycleAChildPastItsSoftLimitOnceItsRequestHasEnded() throws Exception {
        long first = worker.pid();
        // about 11 MiB of native memory a request, well under the 25 MiB between the limits: the
        // watch sees the child between them, between two requests, and recycles it
        for (int i = 0; i < 40 && worker.residentRecycles() == 0; i++) {
            InvocationResult r = hoard("grow-" + i, 40, 0);
            assertEquals(Outcome.OK, r.outcome(), r.message());
            Thread.sleep(3 * 500);
        }
        assertEquals(1, worker.residentRecycles());
        assertEquals(0, worker.residentKills());
        InvocationResult fresh = hoard("fresh", 1, 0);
        assertEquals(Outcome.OK, fresh.outcome(), fresh.message());
        assertEquals("kept 1", fresh.response().bodyAsString(), "a new child, with nothing kept");
        assertNotEquals(first, worker.pid());
    }

    @Test
    void shouldKillAChildPastItsEnvelopeAndEndItsRequestNativeExceeded() throws Exception {
        long first = worker.pid();

        InvocationResult r = hoard("burst", 600, TimeUnit.SECONDS.toMillis(20));

        assertEquals(Outcome.NATIVE_EXCEEDED, r.outcome(), r.message());
        assertEquals(500, r.status());
        assertTrue(r.message().contains("passed its envelope"), r.message());
        assertEquals(1, worker.residentKills());
        InvocationResult fresh = hoard("fresh", 1, 0);
        assertEquals(Outcome.OK, fresh.outcome(), fresh.message());
        assertEquals("kept 1", fresh.response().bodyAsString());
        assertNotEquals(first, worker.pid());
    }
}
