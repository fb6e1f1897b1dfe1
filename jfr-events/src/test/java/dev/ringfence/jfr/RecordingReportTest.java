package dev.ringfence.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordingReportTest {
    @TempDir
    Path dir;

    /** 100 OK invocations of 10, 20, ..., 1000 ns: below 2048 ns HdrHistogram is exact. */
    private static void emitKnownSet() {
        for (int i = 1; i <= 100; i++) {
            RingfenceEvents.invocation("orders", "v1", "q" + i, "OK", 10L * i, 0, 0, 0, null);
        }
        for (int i = 1; i <= 4; i++) {
            RingfenceEvents.invocation("orders", "v1", "e" + i, "ERROR", 100L * i, 0, 0, 0, null);
        }
        RingfenceEvents.invocation("billing", "v7", "b1", "TIMEOUT", 1_500_000L, 0, 0, 0, null);
        RingfenceEvents.versionLoaded("orders", "v1", 3, 0, 1, "cp");
    }

    @Test
    void shouldCountAndRankLatenciesPerRouteAndOutcome() throws Exception {
        Path file = JfrFiles.record(dir.resolve("known.jfr"), RecordingReportTest::emitKnownSet);

        RecordingReport report = RecordingReport.read(file);

        assertEquals(List.of(
                new LatencySummary("billing", "TIMEOUT", 1, 1_500_159, 1_500_159, 1_500_159,
                        1_500_159),
                new LatencySummary("orders", "OK", 100, 500, 950, 990, 1000),
                new LatencySummary("orders", "ERROR", 4, 200, 400, 400, 400)),
                report.rows());
        assertEquals(105, report.invocations());
        assertEquals(new LatencySummary(LatencySummary.ALL, LatencySummary.ALL, 105, 490, 960,
                1000, 1_500_159), report.total());
    }

    @Test
    void shouldPrintAnAlignedTableWithATotalLine() throws Exception {
        Path file = JfrFiles.record(dir.resolve("table.jfr"), RecordingReportTest::emitKnownSet);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        long found = RecordingReport.print(file, new PrintStream(bytes, true, StandardCharsets.UTF_8));

        assertEquals(105, found);
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines()
                .collect(Collectors.toList());
        assertEquals(6, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).startsWith("ROUTE"));
        assertTrue(lines.get(0).endsWith("MAX MS"));
        RecordingReport report = RecordingReport.read(file);
        for (int i = 0; i < 3; i++) {
            assertEquals(cells(report.rows().get(i), report.rows().get(i).route(),
                    report.rows().get(i).outcome()), columns(lines.get(i + 1)));
        }
        assertEquals(List.of("billing", "TIMEOUT", "1", "1.500", "1.500", "1.500", "1.500"),
                columns(lines.get(1)));
        assertTrue(lines.get(4).matches("-+"));
        assertEquals(cells(report.total(), "total", "all"), columns(lines.get(5)));
        for (String line : lines) {
            assertEquals(lines.get(0).length(), line.length(), "every line as wide as the header");
        }
        int countEnd = lines.get(0).indexOf("COUNT") + "COUNT".length();
        for (String line : lines.subList(1, 4)) {
            assertFalse(Character.isWhitespace(line.charAt(countEnd - 1)), "counts right-aligned");
        }
    }

    @Test
    void shouldPreferWallNanosOverTheEventDuration() throws Exception {
        Path file = JfrFiles.record(dir.resolve("begun.jfr"), () -> {
            InvocationEvent timed = RingfenceEvents.beginInvocation();
            RingfenceEvents.commitInvocation(timed, "a", "v", "q", "OK", 777, 0, 0, 0, null);
        });

        assertEquals(777, RecordingReport.read(file).rows().get(0).p50Nanos());
    }

    @Test
    void shouldFallBackToTheEventDurationWithoutWallNanos() throws Exception {
        Path file = JfrFiles.record(dir.resolve("duration.jfr"), () -> {
            InvocationEvent timed = RingfenceEvents.beginInvocation();
            RingfenceEvents.commitInvocation(timed, "a", "v", "q", "OK", 0, 0, 0, 0, null);
        });
        RecordedEvent recorded = JfrFiles.only(file, InvocationEvent.NAME);
        long duration = recorded.getDuration().toNanos();

        long reported = RecordingReport.read(file).rows().get(0).maxNanos();

        assertTrue(reported >= duration && reported <= duration + duration / 1000 + 1,
                "reported " + reported + " for a duration of " + duration);
    }

    @Test
    void shouldSayWhenTheRecordingHasNoInvocations() throws Exception {
        Path file = JfrFiles.record(dir.resolve("empty.jfr"),
                () -> RingfenceEvents.versionUnloaded("r", "v", 1));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        long found = RecordingReport.print(file, new PrintStream(bytes, true, StandardCharsets.UTF_8));

        assertEquals(0, found);
        assertEquals("no ringfence.Invocation events in " + file,
                bytes.toString(StandardCharsets.UTF_8).trim());
    }

    @Test
    void shouldRejectAFileThatIsNotARecording() throws Exception {
        Path file = Files.writeString(dir.resolve("notes.jfr"), "just some text\nover lines\n");

        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> RecordingReport.read(file));

        assertEquals("not a JFR recording: " + file, e.getMessage());
    }

    @Test
    void shouldRejectAnEmptyFile() throws Exception {
        Path file = Files.createFile(dir.resolve("empty.jfr"));

        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> RecordingReport.read(file));

        assertEquals("not a JFR recording: " + file, e.getMessage());
    }

    @Test
    void shouldRejectAMissingFile() {
        Path file = dir.resolve("absent.jfr");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RecordingReport.print(file, System.out));

        assertEquals("no such file: " + file, e.getMessage());
    }

    @Test
    void shouldRejectATruncatedRecordingWithOneLine() throws Exception {
        Path whole = JfrFiles.record(dir.resolve("whole.jfr"), RecordingReportTest::emitKnownSet);
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = Files.write(dir.resolve("cut.jfr"), Arrays.copyOf(bytes, bytes.length / 2));

        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> RecordingReport.read(cut));

        assertTrue(e.getMessage().startsWith("cannot read JFR recording " + cut), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    private static List<String> cells(LatencySummary row, String route, String outcome) {
        return List.of(route, outcome, Long.toString(row.count()),
                LatencyTable.millis(row.p50Nanos()), LatencyTable.millis(row.p95Nanos()),
                LatencyTable.millis(row.p99Nanos()), LatencyTable.millis(row.maxNanos()));
    }

    private static List<String> columns(String line) {
        return Arrays.asList(line.trim().split("\\s{2,}"));
    }
}
