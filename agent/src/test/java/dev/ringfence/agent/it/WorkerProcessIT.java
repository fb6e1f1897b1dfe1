package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.agent.pipeline.TestJars;
import dev.ringfence.agent.process.RequestTooLargeException;
import dev.ringfence.agent.process.WorkerProcess;
import dev.ringfence.agent.process.WorkerSpec;
import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import fixtures.process.Echo;
import fixtures.serve.Uninterruptible;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The process tier with real children: each test starts child JVMs from the real shaded agent jar
 * ({@code worker} verb) over a real memory-mapped channel, and after each one no child is left.
 */
class WorkerProcessIT {
    private static final long READY = TimeUnit.SECONDS.toNanos(60);
    private static final long LONG = TimeUnit.SECONDS.toNanos(30);
    private static final long TIMEOUT_200MS = TimeUnit.MILLISECONDS.toNanos(200);

    @TempDir
    static Path jars;
    @TempDir
    Path work;

    private static Path fixtures;
    private WorkerProcess worker;

    @BeforeAll
    static void buildFixtureJar() {
        fixtures = TestJars.jar(jars.resolve("fixtures.jar"), "process", Echo.class, Uninterruptible.class);
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

    private WorkerProcess start(WorkerSpec spec) throws InterruptedException {
        worker = new WorkerProcess(spec, ProcessBuilder.Redirect.INHERIT, TimeUnit.MILLISECONDS.toNanos(100),
                TimeUnit.SECONDS.toNanos(2));
        worker.start();
        assertTrue(worker.awaitReady(READY), "the child did not become ready");
        return worker;
    }

    private WorkerSpec spec(Path jar, String handlerClass) {
        return WorkerSpec.of(Cli.AGENT_JAR, List.of(jar), handlerClass, work);
    }

    private static Request free(String id) {
        return Request.builder(id).build();
    }

    private static Request stuck(String id) {
        return Request.builder(id).query("stuck", "1").build();
    }

    @Test
    void shouldEchoARequestThroughAChild() throws Exception {
        start(spec(fixtures, Echo.class.getName()));
        byte[] body = new byte[1024];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31);
        }
        Request req = Request.builder("echo-1").method("POST").path("/x").query("q", "ü").header("content-type",
                "application/x-bin").body(body).build();

        InvocationResult r = worker.invoke(req, LONG);

        assertEquals(Outcome.OK, r.outcome(), r.message());
        assertEquals("echo-1", r.requestId());
        assertEquals(200, r.status());
        assertArrayEquals(body, r.response().body());
        assertEquals("application/x-bin", r.response().contentType());
        assertEquals("POST /x q=ü", r.response().headers().get("x-echo"));
        assertEquals(12, r.version().length(), r.version());
        assertTrue(r.cpuNanos() > 0, "the child's handler thread's CPU time comes back");
    }

    @Test
    void shouldStartWhenTheBootJarItWasGivenCannotBeOpened() throws Exception {
        // its server's jar of gate classes gone bad under it (here: not a jar): it writes its own
        Path notAJar = Files.writeString(jars.resolve("boot.jar"), "not a jar");
        WorkerSpec plain = spec(fixtures, Echo.class.getName());
        start(new WorkerSpec(plain.agentJar(), plain.handlerPaths(), plain.handlerClass(), plain.budgets(),
                plain.policyFile(), plain.cacheDir(), plain.caps(), plain.ringCapacity(), plain.workDir(), plain.defer(),
                plain.tmpDir(), java.util.Map.of("ringfence.bootJar", notAJar.toString())));

        InvocationResult r = worker.invoke(Request.builder("boot").body("gated").build(), LONG);

        assertEquals(Outcome.OK, r.outcome(), r.message());
        assertEquals("gated", r.response().bodyAsString());
    }

    @Test
    void shouldWakeAChildThatFellAsleepWhileIdle() throws Exception {
        start(spec(fixtures, Echo.class.getName()));
        assertEquals(Outcome.OK, worker.invoke(free("first"), LONG).outcome());
        long pid = worker.pid();

        Thread.sleep(500); // ten times the idle time after which the child blocks on its stdin

        InvocationResult r = worker.invoke(Request.builder("after-sleep").body("zzz").build(), LONG);
        assertEquals(Outcome.OK, r.outcome(), r.message());
        assertEquals("zzz", r.response().bodyAsString());
        assertEquals(pid, worker.pid());
    }

    @Test
    void shouldAnswerTimeoutKillTheStuckChildAndServeFromItsReplacement() throws Exception {
        start(spec(fixtures, Uninterruptible.class.getName()));
        ProcessHandle first = ProcessHandle.of(worker.pid()).orElseThrow();

        InvocationResult r = worker.invoke(stuck("stuck-1"), TIMEOUT_200MS);

        assertEquals(Outcome.TIMEOUT, r.outcome(), r.message());
        assertEquals(504, r.status());
        first.onExit().get(10, TimeUnit.SECONDS);
        InvocationResult next = worker.invoke(free("free-1"), LONG);
        assertEquals(Outcome.OK, next.outcome(), next.message());
        assertEquals("free", next.response().bodyAsString());
        assertNotEquals(first.pid(), worker.pid());
        assertEquals(2, worker.childrenStarted());
    }

    @Test
    void shouldAnswerEveryStuckRequestInARowWithTimeout() throws Exception {
        start(spec(fixtures, Uninterruptible.class.getName()));
        for (int i = 0; i < 5; i++) {
            InvocationResult r = worker.invoke(stuck("stuck-" + i), TIMEOUT_200MS);
            assertEquals(Outcome.TIMEOUT, r.outcome(), r.message());
        }
        assertTrue(worker.awaitReady(READY));
        assertEquals(Outcome.OK, worker.invoke(free("free"), LONG).outcome());
    }

    @Test
    void shouldEndCrashedWhenTheChildIsKilledMidRequestAndServeAgain() throws Exception {
        start(spec(fixtures, Uninterruptible.class.getName()));
        ProcessHandle first = ProcessHandle.of(worker.pid()).orElseThrow();
        CompletableFuture<InvocationResult> inFlight = CompletableFuture.supplyAsync(() -> worker.invoke(stuck("s"), LONG));
        long until = System.nanoTime() + LONG;
        while (!worker.requestTaken() && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertTrue(worker.requestTaken(), "the child took the request");

        assertTrue(first.destroyForcibly()); // SIGKILL
        InvocationResult r = inFlight.get(30, TimeUnit.SECONDS);

        assertEquals(Outcome.CRASHED, r.outcome(), r.message());
        assertEquals(502, r.status());
        assertTrue(r.message().contains("died"), r.message());
        InvocationResult next = worker.invoke(free("after"), LONG);
        assertEquals(Outcome.OK, next.outcome(), next.message());
        assertNotEquals(first.pid(), worker.pid());
    }

    @Test
    void shouldRunTheHandlerUnderTheSandboxsBudgetsAndPolicyInsideTheChild() throws Exception {
        start(spec(Cli.SAMPLES_JAR, "dev.ringfence.samples.budget.SpinLoop")
                .withBudgets(new Budgets(0, TimeUnit.MILLISECONDS.toNanos(200), 0, 0)));
        long pid = worker.pid();

        InvocationResult r = worker.invoke(free("spin"), LONG);

        assertEquals(Outcome.CPU_EXCEEDED, r.outcome(), r.message());
        assertEquals(pid, worker.pid(), "a budget the sandbox enforces keeps the child");
        worker.close();
        start(spec(Cli.SAMPLES_JAR, "dev.ringfence.samples.deny.SystemExit"));
        InvocationResult denied = worker.invoke(free("exit"), LONG);
        assertEquals(Outcome.DENIED, denied.outcome(), denied.message());
        assertTrue(ProcessHandle.of(worker.pid()).map(ProcessHandle::isAlive).orElse(false));
    }

    @Test
    void shouldRefuseARequestLargerThanTheChannelBeforeSendingIt() throws Exception {
        start(spec(fixtures, Echo.class.getName()));
        Request big = Request.builder("big").body(new byte[worker.maxRequestBytes() + 1]).build();

        RequestTooLargeException e = assertThrows(RequestTooLargeException.class, () -> worker.invoke(big, LONG));

        assertEquals(worker.maxRequestBytes(), e.maxBytes());
        assertEquals(Outcome.OK, worker.invoke(free("small"), LONG).outcome());
    }

    @Test
    void shouldSayWhyAChildCouldNotStart() throws Exception {
        worker = new WorkerProcess(spec(fixtures, "fixtures.process.Missing"), ProcessBuilder.Redirect.DISCARD,
                TimeUnit.MILLISECONDS.toNanos(100), TimeUnit.SECONDS.toNanos(2));
        worker.start();

        InvocationResult r = worker.invoke(free("x"), LONG);

        assertEquals(Outcome.ERROR, r.outcome(), r.message());
        assertTrue(r.message().contains("fixtures.process.Missing"), r.message());
    }

    @Test
    void shouldExitWhenItsParentDies() throws Exception {
        String cp = Cli.AGENT_JAR + File.pathSeparator + Path.of("target", "test-classes").toAbsolutePath();
        Process host = new ProcessBuilder(Cli.JAVA, "-Xmx128m", "-cp", cp, WorkerHostMain.class.getName(),
                Cli.AGENT_JAR.toString(), fixtures.toString(), Echo.class.getName(), work.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(host.getInputStream(), StandardCharsets.UTF_8))) {
            line = out.readLine();
        }
        assertTrue(line != null && line.startsWith("child="), "the host's child became ready: " + line);
        ProcessHandle child = ProcessHandle.of(Long.parseLong(line.substring("child=".length()))).orElseThrow();
        assertTrue(child.isAlive());

        host.destroyForcibly().waitFor();

        child.onExit().get(30, TimeUnit.SECONDS);
        assertFalse(child.isAlive());
    }
}
