package dev.ringfence.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import dev.ringfence.limiter.Meter;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.Policy;
import dev.ringfence.limiter.RunResult;
import dev.ringfence.limiter.SandboxThread;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MeteredHandlerTest {
    @TempDir
    Path tmp;

    private final MeteredExecutor executor = new MeteredExecutor("metered-test", 10_000_000L, 0);
    private HandlerVersion version;

    @BeforeEach
    void load() throws VersionException {
        version = HandlerVersion.load(List.of(Fixtures.jar(tmp.resolve("h.jar"), Fixtures.handlers())),
                LoadOptions.of(Policy.DENY_ALL));
    }

    private RunResult<Response> run(String handler, Budgets budgets) {
        Request request = Request.builder("r-1").path("/").build();
        return executor.run(budgets, Policy.DENY_ALL, version.classLoader(),
                () -> version.newHandler(handler).handle(request, new Fixtures.TestContext()));
    }

    @Test
    void shouldRunAHandlerUnderTheMeter() {
        RunResult<Response> r = run("fix.Hello", Fixtures.generous());
        assertEquals(Outcome.OK, r.outcome(), r.message());
        assertEquals("hello", r.value().bodyAsString());
        assertTrue(r.fuel() > 0, "instrumented method entries charged the meter");
    }

    @Test
    void shouldStopALoopingHandlerBecauseItWasInstrumented() {
        RunResult<Response> r = run("fix.Spin", new Budgets(30_000_000_000L, 0, 2_000_000L, 0));
        assertEquals(Outcome.FUEL_EXCEEDED, r.outcome(), r.message());
        assertEquals(false, r.abandoned());
    }

    @Test
    void shouldLetAHandlerReadItsResources() {
        RunResult<Response> r = run("fix.Resources", Fixtures.generous());
        assertEquals(Outcome.OK, r.outcome(), r.message());
        assertEquals("bonjour|bonjour|" + MemoryResources.PROTOCOL, r.value().bodyAsString());
    }

    @Test
    void shouldRestoreTheMetersPrivilegeAfterLoadingOnASandboxThread() {
        RunResult<String> r = executor.run(Fixtures.generous(), Policy.DENY_ALL, version.classLoader(), () -> {
            Meter m = SandboxThread.currentMeter();
            boolean before = m.privileged();
            version.loadClass("fix.Hello");
            boolean after = m.privileged();
            m.setPrivileged(true);
            version.classLoader().getResource("fix/greeting.txt");
            version.loadClass("fix.Spin");
            boolean nested = m.privileged();
            m.setPrivileged(false);
            return before + " " + after + " " + nested;
        });
        assertEquals(Outcome.OK, r.outcome(), r.message());
        assertEquals("false false true", r.value());
    }

    @Test
    void shouldLetAHandlerUseItsOwnService() {
        RunResult<Response> r = run("fix.UsesService", Fixtures.generous());
        assertEquals(Outcome.OK, r.outcome(), r.message());
        assertEquals("hello from a service", r.value().bodyAsString());
    }
}
