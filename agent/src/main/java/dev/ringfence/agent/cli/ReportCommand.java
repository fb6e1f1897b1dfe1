package dev.ringfence.agent.cli;

import dev.ringfence.jfr.RecordingReport;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code report FILE.jfr}: per route and outcome, count and latency percentiles. */
final class ReportCommand {
    private ReportCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.size() != 1) {
            throw new UsageException("usage: report FILE.jfr");
        }
        Path file = Path.of(args.get(0));
        if (!Files.isRegularFile(file)) {
            throw new UsageException("no such recording: " + file);
        }
        RecordingReport.print(file, out);
        return 0;
    }
}
