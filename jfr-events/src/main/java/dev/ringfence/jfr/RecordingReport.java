package dev.ringfence.jfr;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/**
 * Invocation latencies found in a {@code .jfr} file: count, p50, p95, p99 and max per route and
 * outcome, plus a total. Backs the CLI's {@code report FILE.jfr} verb.
 *
 * <p>Latency is each {@code ringfence.Invocation} event's {@code wallNanos} when positive, else
 * its JFR duration.
 */
public final class RecordingReport {
    private static final byte[] JFR_MAGIC = {'F', 'L', 'R', 0};

    private final Path file;
    private final List<LatencySummary> rows;
    private final LatencySummary total;

    private RecordingReport(Path file, List<LatencySummary> rows, LatencySummary total) {
        this.file = file;
        this.rows = List.copyOf(rows);
        this.total = total;
    }

    /**
     * Reads every {@code ringfence.Invocation} event of a recording.
     *
     * @param file a {@code .jfr} file
     * @return the report
     * @throws IllegalArgumentException with a one-line message if the file is missing, is not a
     *     JFR recording, or cannot be read
     */
    public static RecordingReport read(Path file) {
        checkIsRecording(file);
        LatencyHistograms histograms = new LatencyHistograms();
        try (RecordingFile recording = new RecordingFile(file)) {
            while (recording.hasMoreEvents()) {
                RecordedEvent event = recording.readEvent();
                if (RecordedInvocations.isInvocation(event)) {
                    histograms.record(RecordedInvocations.route(event),
                            RecordedInvocations.outcome(event),
                            RecordedInvocations.latencyNanos(event));
                }
            }
        } catch (IOException | RuntimeException e) {
            // The JDK's parser reports truncated or corrupt chunks with runtime exceptions too.
            throw new IllegalArgumentException(
                    "cannot read JFR recording " + file + ": " + oneLine(e), e);
        }
        return new RecordingReport(file, histograms.summaries(), histograms.total());
    }

    /**
     * Reads a recording and prints its latency table.
     *
     * @param file a {@code .jfr} file
     * @param out where the table goes
     * @return the number of invocations found
     * @throws IllegalArgumentException with a one-line message if the file is missing, is not a
     *     JFR recording, or cannot be read
     */
    public static long print(Path file, PrintStream out) {
        RecordingReport report = read(file);
        report.printTo(out);
        return report.invocations();
    }

    /**
     * Prints the table: one aligned row per route and outcome, latencies in milliseconds with
     * three decimals, then a total row. An empty recording prints a single line saying so.
     *
     * @param out where the table goes
     */
    public void printTo(PrintStream out) {
        if (rows.isEmpty()) {
            out.println("no " + InvocationEvent.NAME + " events in " + file);
            return;
        }
        LatencyTable.print(rows, total, out);
    }

    /**
     * The recording this report was read from.
     *
     * @return the file
     */
    public Path file() {
        return file;
    }

    /**
     * The per-route, per-outcome rows.
     *
     * @return an unmodifiable list ordered by route, then outcome
     */
    public List<LatencySummary> rows() {
        return rows;
    }

    /**
     * All invocations together.
     *
     * @return a summary whose route and outcome are {@link LatencySummary#ALL}
     */
    public LatencySummary total() {
        return total;
    }

    /**
     * The number of invocation events found.
     *
     * @return the total count
     */
    public long invocations() {
        return total.count();
    }

    private static void checkIsRecording(Path file) {
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no such file: " + file);
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("not a regular file: " + file);
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(JFR_MAGIC.length);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + oneLine(e), e);
        }
        if (!Arrays.equals(head, JFR_MAGIC)) {
            throw new IllegalArgumentException("not a JFR recording: " + file);
        }
    }

    private static String oneLine(Exception e) {
        String message = e instanceof IOException && e.getMessage() != null
                ? e.getMessage()
                : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return message.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
