package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.agent.pipeline.TestJars;
import dev.ringfence.agent.process.SpareChild;
import dev.ringfence.agent.process.WorkerProcess;
import dev.ringfence.agent.process.WorkerSpec;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import fixtures.process.Echo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's warm spare with real child JVMs from the shaded agent jar: a worker started from a
 * spare it took sends its first request behind the spare's {@code LOAD} message, before the spare
 * said it opened the version, and a version the spare cannot open ends that request {@code ERROR}
 * with the spare's reason (not {@code CRASHED}, not a timeout). No process or file is left behind.
 */
class SpareChildIT {
    private static final long WARM = TimeUnit.SECONDS.toNanos(90);
    private static final long LONG = TimeUnit.SECONDS.toNanos(30);

    @TempDir
    static Path jars;
    @TempDir
    Path work;

    private static Path fixtures;
    private SpareChild spare;
    private WorkerProcess worker;

    @BeforeAll
    static void buildFixtureJar() {
        fixtures = TestJars.jar(jars.resolve("fixtures.jar"), "process", Echo.class);
    }

    @AfterEach
    void nothingLeftBehind() throws Exception {
        if (worker != null) {
            worker.close();
        }
        if (spare != null) {
            spare.close();
        }
        Cli.assertNoProcessLeftBehind(10);
        try (var files = Files.list(work)) {
            assertEquals(List.of(), files.toList(), "channel files left in the work directory");
        }
    }

    /** Starts a spare, waits until it is warm and takes it for {@code spec}. */
    private SpareChild.Taken warmSpareTakenFor(WorkerSpec spec) throws InterruptedException {
        spare = new SpareChild(work, ProcessBuilder.Redirect.INHERIT);
        spare.prime(WorkerSpec.of(Cli.AGENT_JAR, List.of(fixtures), Echo.class.getName(), work));
        long until = System.nanoTime() + WARM;
        while (!spare.warm()) {
            assertTrue(System.nanoTime() < until, "the spare did not warm up");
            Thread.sleep(20);
        }
        long pid = spare.pid();
        SpareChild.Taken taken = spare.take(spec, 1);
        assertNotNull(taken, "a warm spare with the default caps fits a spec with the default caps");
        assertEquals(pid, taken.process().pid());
        return taken;
    }

    /** Polls the work directory, bounded, until the spare's warm-up directory shows (it takes more than a second). */
    private boolean warmUpDirectorySeen() throws Exception {
        long until = System.nanoTime() + WARM;
        while (!spare.warm() && System.nanoTime() < until) {
            try (var files = Files.list(work)) {
                if (files.anyMatch(f -> f.getFileName().toString().endsWith(".channel.warm-up") && Files.isDirectory(f))) {
                    return true;
                }
            }
            Thread.sleep(2);
        }
        return false;
    }

    @Test
    void shouldWarmUpBesideItsChannelFileAndDeleteWhatItWrote() throws Exception {
        spare = new SpareChild(work, ProcessBuilder.Redirect.INHERIT);
        spare.prime(WorkerSpec.of(Cli.AGENT_JAR, List.of(fixtures), Echo.class.getName(), work));

        // in the host's directory of its children, not the system's temporary directory
        assertTrue(warmUpDirectorySeen(), "the spare's warm-up wrote its versions beside its channel file");
        long until = System.nanoTime() + WARM;
        while (!spare.warm()) {
            assertTrue(System.nanoTime() < until, "the spare did not warm up");
            Thread.sleep(20);
        }
        // warm: its warm-up directory is gone (nothingLeftBehind checks)
    }

    @Test
    void shouldDeleteTheWarmUpOfASpareKilledDuringIt() throws Exception {
        spare = new SpareChild(work, ProcessBuilder.Redirect.INHERIT);
        spare.prime(WorkerSpec.of(Cli.AGENT_JAR, List.of(fixtures), Echo.class.getName(), work));
        assertTrue(warmUpDirectorySeen(), "the spare's warm-up wrote its versions beside its channel file");
        long pid = spare.pid();

        spare.stop(); // SIGKILL, mid-warm-up: the spare's own finally never runs

        ProcessHandle.of(pid).ifPresent(p -> p.onExit().orTimeout(30, TimeUnit.SECONDS).join());
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<Path> left;
        do { // the host deletes it when it sees the spare's exit, on a thread of its own
            Thread.sleep(10);
            try (var files = Files.list(work)) {
                left = files.toList();
            }
        } while (!left.isEmpty() && System.nanoTime() < until);
        assertEquals(List.of(), left, "what the killed spare's warm-up wrote");
    }

    @Test
    void shouldAnswerTheRequestSentBehindTheLoadMessage() throws Exception {
        WorkerSpec spec = WorkerSpec.of(Cli.AGENT_JAR, List.of(fixtures), Echo.class.getName(), work);
        SpareChild.Taken taken = warmSpareTakenFor(spec);
        worker = new WorkerProcess(spec, ProcessBuilder.Redirect.INHERIT, TimeUnit.MILLISECONDS.toNanos(100),
                TimeUnit.SECONDS.toNanos(2));
        worker.startWith(taken);

        InvocationResult first = worker.invoke(Request.builder("behind-load").body("first").build(), LONG);

        assertEquals(Outcome.OK, first.outcome(), first.message());
        assertEquals("first", first.response().bodyAsString());
        assertEquals(12, first.version().length(), first.version());
        assertEquals(taken.process().pid(), worker.pid(), "the spare is the worker's child");
        assertFalse(worker.loadingFromSpare(), "it said it is ready before it answered");
        InvocationResult second = worker.invoke(Request.builder("after").body("second").build(), LONG);
        assertEquals(Outcome.OK, second.outcome(), second.message());
        assertEquals("second", second.response().bodyAsString());
        assertEquals(first.version(), second.version());
    }

    @Test
    void shouldEndTheRequestErrorWithTheSparesReasonWhenItCannotOpenTheVersion() throws Exception {
        WorkerSpec missing = WorkerSpec.of(Cli.AGENT_JAR, List.of(fixtures), "fixtures.process.NoSuchHandler", work);
        SpareChild.Taken taken = warmSpareTakenFor(missing);
        worker = new WorkerProcess(missing, ProcessBuilder.Redirect.INHERIT, TimeUnit.MILLISECONDS.toNanos(100),
                TimeUnit.SECONDS.toNanos(2));
        worker.startWith(taken);

        long start = System.nanoTime();
        InvocationResult r = worker.invoke(Request.builder("doomed").body("x").build(), LONG);

        assertEquals(Outcome.ERROR, r.outcome(), r.message());
        assertTrue(r.message().contains("could not start") && r.message().contains("NoSuchHandler"), r.message());
        assertTrue(System.nanoTime() - start < LONG, "answered at once, not at the deadline");
        assertNotNull(worker.startFailure());
        assertTrue(taken.process().waitFor(10, TimeUnit.SECONDS), "the spare that failed is gone");
    }
}
