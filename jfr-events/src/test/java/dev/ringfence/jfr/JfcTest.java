package dev.ringfence.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import jdk.jfr.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JfcTest {
    private static final String[] RINGFENCE_EVENTS = {InvocationEvent.NAME,
        BudgetExceededEvent.NAME, DeniedEvent.NAME, VersionLoadedEvent.NAME,
        VersionUnloadedEvent.NAME, LoaderLeakedEvent.NAME, BreakerTransitionEvent.NAME,
        QuarantinedEvent.NAME, EscalatedEvent.NAME, DeferredEvent.NAME};

    @Test
    void shouldParseWithConfigurationCreate() throws Exception {
        Configuration parsed = Configuration.create(new StringReader(Jfc.text()));

        assertEquals("ringfence", parsed.getLabel());
        assertEquals(Jfc.configuration().getSettings(), parsed.getSettings());
    }

    @Test
    void shouldEnableEveryRingfenceEventWithZeroThreshold() {
        Map<String, String> settings = Jfc.configuration().getSettings();

        for (String name : RINGFENCE_EVENTS) {
            assertEquals("true", settings.get(name + "#enabled"), name);
            assertEquals("0 ms", settings.get(name + "#threshold"), name);
        }
        assertEquals("false", settings.get(InvocationEvent.NAME + "#stackTrace"));
        assertEquals("true", settings.get(DeniedEvent.NAME + "#stackTrace"));
    }

    @Test
    void shouldConfigureTheChosenJdkEvents() {
        Map<String, String> settings = Jfc.configuration().getSettings();

        assertEquals("true", settings.get("jdk.GarbageCollection#enabled"));
        assertEquals("true", settings.get("jdk.CPULoad#enabled"));
        assertEquals("1 s", settings.get("jdk.CPULoad#period"));
        assertEquals("true", settings.get("jdk.ThreadCPULoad#enabled"));
        assertEquals("true", settings.get("jdk.GCHeapSummary#enabled"));
        assertEquals("true", settings.get("jdk.MetaspaceSummary#enabled"));
        assertEquals("false", settings.get("jdk.ClassLoad#enabled"));
    }

    @Test
    void shouldCopyToAFileThatParses() throws Exception {
        Path copy = Jfc.copyTo(dir.resolve("settings/ringfence.jfc"));

        assertTrue(Files.isRegularFile(copy));
        assertEquals(Jfc.configuration().getSettings(), Configuration.create(copy).getSettings());
    }

    @Test
    void shouldReplaceAnExistingFileOnCopy() throws Exception {
        Path target = Files.writeString(dir.resolve("old.jfc"), "stale");

        Jfc.copyTo(target);

        assertEquals(Jfc.text(), Files.readString(target));
    }

    @TempDir
    Path dir;
}
