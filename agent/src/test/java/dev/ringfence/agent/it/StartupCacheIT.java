package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.agent.pipeline.TestJars;
import dev.ringfence.agent.process.StartupCache;
import dev.ringfence.agent.process.WorkerProcess;
import dev.ringfence.agent.process.WorkerSpec;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import fixtures.process.Echo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up cache with real children from the real agent jar, on whatever JDK runs the build
 * (17 makes a dynamic AppCDS archive, 25 an AOT cache). Whether a child uses the archive is read
 * independently of the worker's own report: from the child's command line and from the files its
 * JVM has mapped ({@code /proc/PID/maps}), so the tests need Linux.
 */
class StartupCacheIT {
    private static final long READY = TimeUnit.SECONDS.toNanos(60);
    private static final long LONG = TimeUnit.SECONDS.toNanos(30);
    /** A training starts two JVMs one after the other (the second assembles an AOT cache on JDK 25). */
    private static final long TRAINED = TimeUnit.SECONDS.toNanos(300);

    @TempDir
    static Path jars;
    @TempDir
    Path work;
    @TempDir
    Path cacheDir;

    private static Path fixtures;
    private WorkerProcess worker;
    private final List<String> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void buildFixtureJar() {
        fixtures = TestJars.jar(jars.resolve("fixtures.jar"), "process", Echo.class);
    }

    @BeforeEach
    void linuxOnly() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/maps")), "the checks read /proc/PID/maps");
    }

    @AfterEach
    void noChildLeftBehind() throws Exception {
        if (worker != null) {
            worker.close();
        }
        Cli.assertNoProcessLeftBehind(30);
        try (Stream<Path> s = Files.list(cacheDir)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().contains(".tmp-")
                    || p.getFileName().toString().endsWith(".training")).toList(), "training leftovers in the cache");
        }
    }

    /** Starts a worker on the cache and waits for its first child. */
    private StartupCache firstChild() throws Exception {
        StartupCache cache = new StartupCache(cacheDir, 512L << 20, Duration.ofDays(1));
        worker = new WorkerProcess(WorkerSpec.of(Cli.AGENT_JAR, List.of(fixtures), Echo.class.getName(), work),
                ProcessBuilder.Redirect.INHERIT, TimeUnit.MILLISECONDS.toNanos(100), TimeUnit.SECONDS.toNanos(2));
        worker.useStartupCache(cache, null, (event, message) -> events.add(event + ": " + message));
        worker.start();
        assertTrue(worker.awaitReady(READY), "the first child did not become ready");
        return cache;
    }

    /** Starts a worker on the cache, waits for its first (plain) child and for the training it starts. */
    private StartupCache trained() throws Exception {
        StartupCache cache = firstChild();
        assertFalse(usesArchive(worker.pid()), "the first child of a version starts plain");
        long deadline = System.nanoTime() + TRAINED;
        while (worker.startupCache().equals("training") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals("ready", worker.startupCache(), events.toString());
        assertTrue(events.stream().anyMatch(e -> e.startsWith("startup-cache-made")), events.toString());
        return cache;
    }

    /** Kills the current child and returns the replacement's answer to a request. */
    private InvocationResult replaceChild(String id) throws Exception {
        ProcessHandle child = ProcessHandle.of(worker.pid()).orElseThrow();
        child.destroyForcibly();
        child.onExit().get(10, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + LONG;
        while (worker.pid() == child.pid() && System.nanoTime() < deadline) {
            Thread.sleep(5); // until the worker has seen the death: a request sent before would end CRASHED
        }
        InvocationResult r = worker.invoke(Request.builder(id).body(id).build(), LONG);
        assertEquals(Outcome.OK, r.outcome(), r.message());
        assertEquals(id, r.response().bodyAsString());
        assertNotEquals(child.pid(), worker.pid());
        return r;
    }

    private Path entry() throws IOException {
        try (Stream<Path> s = Files.list(cacheDir)) {
            return s.filter(Files::isDirectory).findFirst().orElseThrow(() -> new AssertionError("no entry in the cache"));
        }
    }

    /** Whether the child was started with an archive option naming a file of the cache, and its JVM maps that file. */
    private boolean usesArchive(long pid) throws IOException {
        List<String> args = List.of(ProcessHandle.of(pid).orElseThrow().info().arguments().orElse(new String[0]));
        String archive = args.stream().filter(a -> a.startsWith("-XX:AOTCache=") || a.startsWith("-XX:SharedArchiveFile="))
                .map(a -> a.substring(a.indexOf('=') + 1)).findFirst().orElse(null);
        if (archive == null) {
            return false;
        }
        assertTrue(archive.startsWith(cacheDir.toString()), archive);
        return Files.readAllLines(Path.of("/proc", Long.toString(pid), "maps")).stream()
                .anyMatch(l -> l.endsWith(" " + archive));
    }

    @Test
    void shouldStartAReplacementChildFromTheArchiveItsFirstChildTrained() throws Exception {
        trained();
        Path archive = entry().resolve(StartupCache.ARCHIVE);
        assertTrue(Files.size(archive) > 0);

        Path woven = entry().resolve("woven-gates.bin");
        Path classes = entry().resolve("classes");
        assertTrue(Files.size(woven) > 0, "the check child recorded the gates it wove from the archive's classes");
        assertTrue(Files.isDirectory(classes), "and the version's classes it instrumented");

        replaceChild("after-kill");

        assertEquals("used", worker.startupCache());
        assertTrue(usesArchive(worker.pid()), "the replacement maps " + archive);
        List<String> args = List.of(ProcessHandle.of(worker.pid()).orElseThrow().info().arguments().orElseThrow());
        assertTrue(args.contains("-Dringfence.gates.woven=" + woven), "its gates come from the entry: " + args);
        assertEquals(1, args.stream().filter(a -> a.startsWith("-Dringfence.gates.woven=")).count(), args.toString());
        assertEquals(classes.toString(), args.get(args.indexOf("--cache") + 1), "its classes too: " + args);
        // the recording kept no training data (JDK 25+), so a child replays none
        assertEquals(Runtime.version().feature() >= 25, args.contains("-XX:-AOTReplayTraining"), args.toString());
        replaceChild("after-second-kill");
        assertTrue(usesArchive(worker.pid()), "every later child starts from the archive");
        assertEquals(3, worker.childrenStarted());
    }

    @Test
    void shouldFinishATrainingItsWorkerClosedDuring() throws Exception {
        firstChild();
        long deadline = System.nanoTime() + LONG;
        while (!worker.startupCache().equals("training") && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals("training", worker.startupCache());

        worker.close(true); // as a route that parks closes it, right after its request

        deadline = System.nanoTime() + TRAINED;
        while (events.stream().noneMatch(e -> e.startsWith("startup-cache-")) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(events.stream().anyMatch(e -> e.startsWith("startup-cache-made")),
                "a route woken and parked again and again would otherwise train for ever: " + events);
        assertTrue(Files.isRegularFile(entry().resolve(StartupCache.ARCHIVE)));
    }

    @Test
    void shouldStartPlainAndMarkTheEntryBadWhenTheArchiveIsCorrupt() throws Exception {
        trained();
        Path entry = entry();
        Path archive = entry.resolve(StartupCache.ARCHIVE);
        byte[] garbage = new byte[64 << 10];
        new Random(4).nextBytes(garbage);
        Files.delete(archive); // the JVM writes it read-only
        Files.write(archive, garbage);

        replaceChild("after-corruption"); // the JVM skips the archive and starts anyway

        assertTrue(worker.startupCache().startsWith("off: "), worker.startupCache());
        assertTrue(events.stream().anyMatch(e -> e.startsWith("startup-cache-bad")), events.toString());
        assertFalse(Files.exists(entry), "a bad entry is deleted");
        assertTrue(Files.exists(cacheDir.resolve(entry.getFileName() + ".bad")));
        replaceChild("plain-again");
        assertFalse(usesArchive(worker.pid()), "after a bad entry, children start plain");
    }
}
