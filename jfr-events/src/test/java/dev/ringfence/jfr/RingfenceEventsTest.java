package dev.ringfence.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import jdk.jfr.Configuration;
import jdk.jfr.DataAmount;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RingfenceEventsTest {
    @TempDir
    Path dir;

    @Test
    void shouldRecordOneShotInvocationFields() throws Exception {
        Path file = JfrFiles.record(dir.resolve("invocation.jfr"), () ->
                RingfenceEvents.invocation("orders", "v1a2b3", "req-17", "CPU_EXCEEDED",
                        12_345_678L, 9_000_000L, 4096L, 777L, "cpu budget of 9 ms"));

        RecordedEvent event = JfrFiles.only(file, InvocationEvent.NAME);
        assertEquals("orders", event.getString("route"));
        assertEquals("v1a2b3", event.getString("version"));
        assertEquals("req-17", event.getString("requestId"));
        assertEquals("CPU_EXCEEDED", event.getString("outcome"));
        assertEquals(12_345_678L, event.getLong("wallNanos"));
        assertEquals(9_000_000L, event.getLong("cpuNanos"));
        assertEquals(4096L, event.getLong("allocatedBytes"));
        assertEquals(777L, event.getLong("fuel"));
        assertEquals("cpu budget of 9 ms", event.getString("message"));
        assertEquals(Duration.ZERO, event.getDuration());
        assertNull(event.getStackTrace(), "invocation events are recorded without stack traces");
    }

    @Test
    void shouldDeclareUnitsOnInvocationFields() throws Exception {
        Path file = JfrFiles.record(dir.resolve("units.jfr"), () ->
                RingfenceEvents.invocation("r", "v", "q", "OK", 1, 2, 3, 4, null));

        RecordedEvent event = JfrFiles.only(file, InvocationEvent.NAME);
        assertEquals(Duration.ofNanos(1), event.getDuration("wallNanos"));
        assertEquals(Duration.ofNanos(2), event.getDuration("cpuNanos"));
        assertEquals(DataAmount.BYTES, event.getEventType().getField("allocatedBytes")
                .getAnnotation(DataAmount.class).value());
        assertNull(event.getString("message"));
    }

    @Test
    void shouldGiveBegunInvocationItsOwnDurationAndWallNanos() throws Exception {
        Path file = JfrFiles.record(dir.resolve("begun.jfr"), () -> {
            InvocationEvent event = RingfenceEvents.beginInvocation();
            RingfenceEvents.commitInvocation(event, "search", "v2", "req-1", "OK",
                    5_000L, 4_000L, 128L, 10L, null);
        });

        RecordedEvent event = JfrFiles.only(file, InvocationEvent.NAME);
        assertEquals("search", event.getString("route"));
        assertEquals(5_000L, event.getLong("wallNanos"));
        assertFalse(event.getDuration().isNegative());
        assertFalse(event.getEndTime().isBefore(event.getStartTime()));
    }

    @Test
    void shouldNotCommitWhenEventIsDisabled() throws Exception {
        Map<String, String> settings = new HashMap<>(Jfc.configuration().getSettings());
        settings.put(InvocationEvent.NAME + "#enabled", "false");
        Path file = dir.resolve("disabled.jfr");
        try (Recording recording = new Recording(settings)) {
            recording.start();
            RingfenceEvents.invocation("r", "v", "q", "OK", 1, 1, 1, 1, null);
            RingfenceEvents.commitInvocation(RingfenceEvents.beginInvocation(),
                    "r", "v", "q", "OK", 1, 1, 1, 1, null);
            RingfenceEvents.versionUnloaded("r", "v", 3);
            recording.stop();
            recording.dump(file);
        }

        assertTrue(JfrFiles.events(file, InvocationEvent.NAME).isEmpty());
        assertEquals(1, JfrFiles.events(file, VersionUnloadedEvent.NAME).size());
    }

    @Test
    void shouldRecordBudgetExceededFields() throws Exception {
        Path file = JfrFiles.record(dir.resolve("budget.jfr"), () ->
                RingfenceEvents.budgetExceeded("orders", "v1", "req-2", "ALLOC_EXCEEDED",
                        1_048_576L, 1_050_000L, "allocation budget"));

        RecordedEvent event = JfrFiles.only(file, BudgetExceededEvent.NAME);
        assertEquals("orders", event.getString("route"));
        assertEquals("v1", event.getString("version"));
        assertEquals("req-2", event.getString("requestId"));
        assertEquals("ALLOC_EXCEEDED", event.getString("outcome"));
        assertEquals(1_048_576L, event.getLong("limit"));
        assertEquals(1_050_000L, event.getLong("used"));
        assertEquals("allocation budget", event.getString("message"));
    }

    @Test
    void shouldRecordDeniedWithTheCallersStackTrace() throws Exception {
        Path file = JfrFiles.record(dir.resolve("denied.jfr"), () ->
                RingfenceEvents.denied("files", "v9", "req-3", "java.lang.Runtime.exec",
                        "process spawning is denied"));

        RecordedEvent event = JfrFiles.only(file, DeniedEvent.NAME);
        assertEquals("files", event.getString("route"));
        assertEquals("v9", event.getString("version"));
        assertEquals("req-3", event.getString("requestId"));
        assertEquals("java.lang.Runtime.exec", event.getString("api"));
        assertEquals("process spawning is denied", event.getString("message"));
        assertNotNull(event.getStackTrace());
        assertTrue(event.getStackTrace().getFrames().stream().anyMatch(frame ->
                frame.getMethod().getType().getName().equals(RingfenceEventsTest.class.getName())));
    }

    @Test
    void shouldRecordVersionLoadedFields() throws Exception {
        Path file = JfrFiles.record(dir.resolve("loaded.jfr"), () ->
                RingfenceEvents.versionLoaded("orders", "v3", 42, 40, 3_000_000L,
                        "/srv/handlers/orders.jar"));

        RecordedEvent event = JfrFiles.only(file, VersionLoadedEvent.NAME);
        assertEquals("orders", event.getString("route"));
        assertEquals("v3", event.getString("version"));
        assertEquals(42, event.getInt("classes"));
        assertEquals(40, event.getInt("cachedClasses"));
        assertEquals(Duration.ofMillis(3), event.getDuration("loadNanos"));
        assertEquals("/srv/handlers/orders.jar", event.getString("classpath"));
    }

    @Test
    void shouldRecordVersionUnloadedFields() throws Exception {
        Path file = JfrFiles.record(dir.resolve("unloaded.jfr"), () ->
                RingfenceEvents.versionUnloaded("orders", "v2", 250_000_000L));

        RecordedEvent event = JfrFiles.only(file, VersionUnloadedEvent.NAME);
        assertEquals("orders", event.getString("route"));
        assertEquals("v2", event.getString("version"));
        assertEquals(Duration.ofMillis(250), event.getDuration("unloadNanos"));
    }

    @Test
    void shouldRecordLoaderLeakedFields() throws Exception {
        Path file = JfrFiles.record(dir.resolve("leaked.jfr"), () ->
                RingfenceEvents.loaderLeaked("orders", "v1", "thread 'poller' started by handler",
                        30_000_000_000L));

        RecordedEvent event = JfrFiles.only(file, LoaderLeakedEvent.NAME);
        assertEquals("orders", event.getString("route"));
        assertEquals("v1", event.getString("version"));
        assertEquals("thread 'poller' started by handler", event.getString("cause"));
        assertEquals(Duration.ofSeconds(30), event.getDuration("ageNanos"));
    }

    @Test
    void shouldRecordBreakerTransitionFields() throws Exception {
        Path file = JfrFiles.record(dir.resolve("breaker.jfr"), () ->
                RingfenceEvents.breakerTransition("orders", "CLOSED", "OPEN"));

        RecordedEvent event = JfrFiles.only(file, BreakerTransitionEvent.NAME);
        assertEquals("orders", event.getString("route"));
        assertEquals("CLOSED", event.getString("from"));
        assertEquals("OPEN", event.getString("to"));
    }

    @Test
    void shouldRecordEscalatedFields() throws Exception {
        Path file = JfrFiles.record(dir.resolve("escalated.jfr"), () ->
                RingfenceEvents.escalated("orders", "v2", "stuck-thread", "req-4", "the handler thread did not stop"));

        RecordedEvent event = JfrFiles.only(file, EscalatedEvent.NAME);
        assertEquals("orders", event.getString("route"));
        assertEquals("v2", event.getString("version"));
        assertEquals("stuck-thread", event.getString("reason"));
        assertEquals("req-4", event.getString("requestId"));
        assertEquals("the handler thread did not stop", event.getString("message"));
    }

    @Test
    void shouldRecordDeferredFields() throws Exception {
        Path file = JfrFiles.record(dir.resolve("deferred.jfr"), () ->
                RingfenceEvents.deferred("webhook", "v3", "req-7", "batch", "stats", 42, "CPU_EXCEEDED", 2_000_000L,
                        30_000_000L, 25_000_000L, 4096, "used 25 ms of CPU, budget 20 ms"));

        RecordedEvent event = JfrFiles.only(file, DeferredEvent.NAME);
        assertEquals("webhook", event.getString("route"));
        assertEquals("v3", event.getString("version"));
        assertEquals("req-7", event.getString("requestId"));
        assertEquals("batch", event.getString("kind"));
        assertEquals("stats", event.getString("batch"));
        assertEquals(42, event.getInt("items"));
        assertEquals("CPU_EXCEEDED", event.getString("outcome"));
        assertEquals(Duration.ofMillis(2), event.getDuration("lagNanos"));
        assertEquals(Duration.ofMillis(30), event.getDuration("wallNanos"));
        assertEquals(Duration.ofMillis(25), event.getDuration("cpuNanos"));
        assertEquals(4096L, event.getLong("allocatedBytes"));
        assertEquals("used 25 ms of CPU, budget 20 ms", event.getString("message"));
    }

    @Test
    void shouldRecordQuarantinedFields() throws Exception {
        Path file = JfrFiles.record(dir.resolve("quarantined.jfr"), () ->
                RingfenceEvents.quarantined("orders", "v1", "req-9", "TIMEOUT", 1, 60_000_000_000L,
                        "the handler thread did not stop"));

        RecordedEvent event = JfrFiles.only(file, QuarantinedEvent.NAME);
        assertEquals("orders", event.getString("route"));
        assertEquals("v1", event.getString("version"));
        assertEquals("req-9", event.getString("requestId"));
        assertEquals("TIMEOUT", event.getString("outcome"));
        assertEquals(1L, event.getLong("abandonedThreads"));
        assertEquals(Duration.ofMinutes(1), event.getDuration("releaseAfterNanos"));
        assertEquals("the handler thread did not stop", event.getString("message"));
    }

    @Test
    void shouldPlaceEveryEventInTheRingfenceCategory() throws Exception {
        Configuration settings = Jfc.configuration();
        Path file = JfrFiles.record(dir.resolve("categories.jfr"), settings, () -> {
            RingfenceEvents.invocation("r", "v", "q", "OK", 1, 1, 1, 1, null);
            RingfenceEvents.budgetExceeded("r", "v", "q", "FUEL_EXCEEDED", 1, 2, null);
            RingfenceEvents.denied("r", "v", "q", "api", null);
            RingfenceEvents.versionLoaded("r", "v", 1, 0, 1, "cp");
            RingfenceEvents.versionUnloaded("r", "v", 1);
            RingfenceEvents.loaderLeaked("r", "v", "c", 1);
            RingfenceEvents.breakerTransition("r", "CLOSED", "OPEN");
            RingfenceEvents.quarantined("r", "v", "q", "TIMEOUT", 1, 0, null);
            RingfenceEvents.escalated("r", "v", "stuck-thread", "q", null);
            RingfenceEvents.deferred("r", "v", "q", "task", null, 0, "OK", 1, 1, 1, 1, null);
        });

        for (String name : new String[] {InvocationEvent.NAME, BudgetExceededEvent.NAME,
            DeniedEvent.NAME, VersionLoadedEvent.NAME, VersionUnloadedEvent.NAME,
            LoaderLeakedEvent.NAME, BreakerTransitionEvent.NAME, QuarantinedEvent.NAME, EscalatedEvent.NAME,
            DeferredEvent.NAME}) {
            RecordedEvent event = JfrFiles.only(file, name);
            assertEquals("ringfence", event.getEventType().getCategoryNames().get(0), name);
            assertNotNull(event.getEventType().getLabel(), name);
            assertNotNull(event.getEventType().getDescription(), name);
        }
    }
}
