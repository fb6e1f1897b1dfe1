package dev.ringfence.jfr;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.AbstractHistogram;
import org.HdrHistogram.Histogram;

/** Latency histograms per route and outcome, for a single thread (or under its owner's lock). */
final class LatencyHistograms {
    /** Three significant digits: 0.1% resolution at every magnitude. */
    static final int SIGNIFICANT_DIGITS = 3;

    private final Map<String, Map<String, Histogram>> byRoute = new HashMap<>();

    void record(String route, String outcome, long nanos) {
        histogram(route, outcome).recordValue(Math.max(0, nanos));
    }

    void add(String route, String outcome, AbstractHistogram values) {
        histogram(route, outcome).add(values);
    }

    void clear() {
        byRoute.clear();
    }

    List<LatencySummary> summaries() {
        List<LatencySummary> summaries = new ArrayList<>();
        byRoute.forEach((route, byOutcome) -> byOutcome.forEach((outcome, histogram) ->
                summaries.add(LatencySummary.of(route, outcome, histogram))));
        summaries.sort(LatencySummary.ORDER);
        return summaries;
    }

    LatencySummary total() {
        Histogram all = new Histogram(SIGNIFICANT_DIGITS);
        byRoute.values().forEach(byOutcome -> byOutcome.values().forEach(all::add));
        return LatencySummary.of(LatencySummary.ALL, LatencySummary.ALL, all);
    }

    private Histogram histogram(String route, String outcome) {
        return byRoute.computeIfAbsent(route, r -> new HashMap<>())
                .computeIfAbsent(outcome, o -> new Histogram(SIGNIFICANT_DIGITS));
    }
}
