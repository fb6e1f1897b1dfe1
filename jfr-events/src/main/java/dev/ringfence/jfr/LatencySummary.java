package dev.ringfence.jfr;

import dev.ringfence.api.Outcome;
import java.util.Comparator;
import org.HdrHistogram.AbstractHistogram;

/**
 * Invocation latencies of one route and outcome. Percentiles and maximum come from an
 * HdrHistogram with three significant digits: never below the true value, at most 0.1% above it.
 *
 * @param route the route, or {@link #ALL} in a total
 * @param outcome the {@link Outcome} name, or {@link #ALL} in a total
 * @param count number of invocations
 * @param p50Nanos median latency in nanoseconds
 * @param p95Nanos 95th percentile in nanoseconds
 * @param p99Nanos 99th percentile in nanoseconds
 * @param maxNanos largest latency in nanoseconds
 */
public record LatencySummary(String route, String outcome, long count, long p50Nanos,
        long p95Nanos, long p99Nanos, long maxNanos) {

    /** Stands for every route or every outcome in a total. */
    public static final String ALL = "*";

    /** Route by name, then outcome in {@link Outcome} order, unknown outcome names last. */
    static final Comparator<LatencySummary> ORDER = Comparator
            .comparing(LatencySummary::route)
            .thenComparingInt((LatencySummary s) -> outcomeRank(s.outcome()))
            .thenComparing(LatencySummary::outcome);

    static LatencySummary of(String route, String outcome, AbstractHistogram histogram) {
        if (histogram.getTotalCount() == 0) {
            return new LatencySummary(route, outcome, 0, 0, 0, 0, 0);
        }
        return new LatencySummary(route, outcome, histogram.getTotalCount(),
                histogram.getValueAtPercentile(50.0),
                histogram.getValueAtPercentile(95.0),
                histogram.getValueAtPercentile(99.0),
                histogram.getMaxValue());
    }

    private static int outcomeRank(String outcome) {
        for (Outcome known : Outcome.values()) {
            if (known.name().equals(outcome)) {
                return known.ordinal();
            }
        }
        return Integer.MAX_VALUE;
    }
}
