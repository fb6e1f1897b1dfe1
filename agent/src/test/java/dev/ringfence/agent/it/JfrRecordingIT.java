package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JfrRecordingIT {
    @TempDir
    Path dir;

    @Test
    void shouldLeaveARecordingOfEveryInvocationAndTheVersionLoad() throws Exception {
        Path jfr = dir.resolve("hello.jfr");
        Cli.Run r = Cli.invoke("dev.ringfence.samples.Hello", "--repeat", "5", "--jfr", jfr.toString());
        assertEquals(0, r.exit(), r.toString());
        List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);
        List<RecordedEvent> invocations = events.stream().filter(e -> e.getEventType().getName().equals("ringfence.Invocation"))
                .collect(Collectors.toList());
        assertEquals(5, invocations.size());
        RecordedEvent e = invocations.get(0);
        assertEquals("Hello", e.getString("route"));
        assertEquals("OK", e.getString("outcome"));
        assertTrue(e.getLong("wallNanos") > 0);
        assertTrue(events.stream().anyMatch(x -> x.getEventType().getName().equals("ringfence.VersionLoaded")));
    }

    @Test
    void shouldRecordBudgetTripsAndDenials() throws Exception {
        Path jfr = dir.resolve("spin.jfr");
        Cli.Run r = Cli.invoke("dev.ringfence.samples.budget.SpinLoop", "--fuel", "1000000", "--jfr", jfr.toString());
        assertEquals(1, r.exit(), r.toString());
        List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);
        RecordedEvent trip = events.stream().filter(e -> e.getEventType().getName().equals("ringfence.BudgetExceeded"))
                .findFirst().orElseThrow(() -> new AssertionError("no BudgetExceeded event"));
        assertEquals("FUEL_EXCEEDED", trip.getString("outcome"));
        assertEquals(1_000_000L, trip.getLong("limit"));
    }

    @Test
    void shouldReportPercentilesPerRouteAndOutcome() throws Exception {
        Path jfr = dir.resolve("mixed.jfr");
        Cli.invoke("dev.ringfence.samples.Hello", "--repeat", "10", "--jfr", jfr.toString());
        Cli.Run report = Cli.agent("report", jfr.toString());
        assertEquals(0, report.exit(), report.toString());
        String text = String.join("\n", report.out());
        assertTrue(text.contains("Hello") && text.contains("OK") && text.toLowerCase(java.util.Locale.ROOT).contains("p99"), text);
        assertTrue(report.out().stream().anyMatch(l -> l.contains("Hello") && l.matches(".*\\b10\\b.*")), text);
    }

    @Test
    void shouldRefuseAFileThatIsNotARecording() throws Exception {
        Path bogus = Files.writeString(dir.resolve("x.jfr"), "not a recording");
        Cli.Run r = Cli.agent("report", bogus.toString());
        assertEquals(2, r.exit(), r.toString());
    }
}
