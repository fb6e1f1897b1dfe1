package dev.ringfence.jfr;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Renders latency summaries as an aligned text table, latencies in milliseconds. */
final class LatencyTable {
    private static final String[] HEADER =
            {"ROUTE", "OUTCOME", "COUNT", "P50 MS", "P95 MS", "P99 MS", "MAX MS"};
    /** Route and outcome are left-aligned; the numeric columns after them right-aligned. */
    private static final int TEXT_COLUMNS = 2;
    private static final String GAP = "  ";

    private LatencyTable() {
    }

    static void print(List<LatencySummary> rows, LatencySummary total, PrintStream out) {
        List<String[]> cells = new ArrayList<>();
        cells.add(HEADER);
        for (LatencySummary row : rows) {
            cells.add(cells(row.route(), row.outcome(), row));
        }
        String[] totalCells = cells("total", "all", total);
        cells.add(totalCells);

        int[] widths = new int[HEADER.length];
        for (String[] line : cells) {
            for (int i = 0; i < line.length; i++) {
                widths[i] = Math.max(widths[i], line[i].length());
            }
        }
        int tableWidth = (widths.length - 1) * GAP.length();
        for (int width : widths) {
            tableWidth += width;
        }
        for (String[] line : cells) {
            if (line == totalCells) {
                out.println("-".repeat(tableWidth));
            }
            out.println(format(line, widths));
        }
    }

    static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1_000_000.0);
    }

    private static String[] cells(String route, String outcome, LatencySummary summary) {
        return new String[] {route, outcome, Long.toString(summary.count()),
            millis(summary.p50Nanos()), millis(summary.p95Nanos()), millis(summary.p99Nanos()),
            millis(summary.maxNanos())};
    }

    private static String format(String[] line, int[] widths) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < line.length; i++) {
            if (i > 0) {
                text.append(GAP);
            }
            String padding = " ".repeat(widths[i] - line[i].length());
            if (i < TEXT_COLUMNS) {
                text.append(line[i]).append(padding);
            } else {
                text.append(padding).append(line[i]);
            }
        }
        return text.toString();
    }
}
