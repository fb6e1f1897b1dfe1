package dev.ringfence.agent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PrometheusTextTest {
    private final StringBuilder out = new StringBuilder();
    private final PrometheusText text = new PrometheusText(out);

    @Test
    void shouldWriteACounterFamilyWithHelpAndTypeOnce() {
        text.counter("ringfence_requests_total", "Requests by route and outcome.")
                .sample(3, "route", "hello", "outcome", "OK")
                .sample(1, "route", "hello", "outcome", "TIMEOUT");
        assertEquals("# HELP ringfence_requests_total Requests by route and outcome.\n"
                + "# TYPE ringfence_requests_total counter\n"
                + "ringfence_requests_total{route=\"hello\",outcome=\"OK\"} 3\n"
                + "ringfence_requests_total{route=\"hello\",outcome=\"TIMEOUT\"} 1\n", out.toString());
    }

    @Test
    void shouldWriteAGaugeWithoutLabels() {
        text.gauge("ringfence_heap_used_bytes", "Heap in use.").sample(1.5e9);
        text.gauge("ringfence_pool_utilisation_ratio", "Busy share.").sample(0.25).sample(Double.NaN, "route", "x");
        assertEquals("# HELP ringfence_heap_used_bytes Heap in use.\n"
                + "# TYPE ringfence_heap_used_bytes gauge\n"
                + "ringfence_heap_used_bytes 1500000000\n"
                + "# HELP ringfence_pool_utilisation_ratio Busy share.\n"
                + "# TYPE ringfence_pool_utilisation_ratio gauge\n"
                + "ringfence_pool_utilisation_ratio 0.25\n"
                + "ringfence_pool_utilisation_ratio{route=\"x\"} NaN\n", out.toString());
    }

    @Test
    void shouldWriteACumulativeHistogramEndingInInf() {
        text.histogram("ringfence_latency_seconds", "Invocation latency.")
                .buckets(new double[] {0.005, 0.1, 1}, new long[] {2, 0, 5, 1}, 3.25, "route", "hello")
                .buckets(new double[] {0.005, 0.1, 1}, new long[] {0, 0, 0, 0}, 0, "route", "idle");
        assertEquals("# HELP ringfence_latency_seconds Invocation latency.\n"
                + "# TYPE ringfence_latency_seconds histogram\n"
                + "ringfence_latency_seconds_bucket{route=\"hello\",le=\"0.005\"} 2\n"
                + "ringfence_latency_seconds_bucket{route=\"hello\",le=\"0.1\"} 2\n"
                + "ringfence_latency_seconds_bucket{route=\"hello\",le=\"1\"} 7\n"
                + "ringfence_latency_seconds_bucket{route=\"hello\",le=\"+Inf\"} 8\n"
                + "ringfence_latency_seconds_sum{route=\"hello\"} 3.25\n"
                + "ringfence_latency_seconds_count{route=\"hello\"} 8\n"
                + "ringfence_latency_seconds_bucket{route=\"idle\",le=\"0.005\"} 0\n"
                + "ringfence_latency_seconds_bucket{route=\"idle\",le=\"0.1\"} 0\n"
                + "ringfence_latency_seconds_bucket{route=\"idle\",le=\"1\"} 0\n"
                + "ringfence_latency_seconds_bucket{route=\"idle\",le=\"+Inf\"} 0\n"
                + "ringfence_latency_seconds_sum{route=\"idle\"} 0\n"
                + "ringfence_latency_seconds_count{route=\"idle\"} 0\n", out.toString());
    }

    @Test
    void shouldWriteAHistogramWithoutLabelsOrBounds() {
        text.histogram("h_seconds", "x").buckets(new double[0], new long[] {4}, 0.5);
        assertEquals("# HELP h_seconds x\n# TYPE h_seconds histogram\n"
                + "h_seconds_bucket{le=\"+Inf\"} 4\nh_seconds_sum 0.5\nh_seconds_count 4\n", out.toString());
    }

    @Test
    void shouldEscapeBackslashQuoteAndNewlineInLabelValues() {
        text.counter("c_total", "x").sample(1, "path", "C:\\tmp \"a\"\nb");
        assertTrue(out.toString().endsWith("c_total{path=\"C:\\\\tmp \\\"a\\\"\\nb\"} 1\n"), out.toString());
    }

    @Test
    void shouldEscapeBackslashAndNewlineButNotQuotesInHelp() {
        text.gauge("g", "a \\ b\n\"c\"");
        assertTrue(out.toString().startsWith("# HELP g a \\\\ b\\n\"c\"\n"), out.toString());
    }

    @Test
    void shouldFormatNumbersAsTheFormatReadsThem() {
        assertEquals("0", PrometheusText.number(0.0));
        assertEquals("0", PrometheusText.number(-0.0));
        assertEquals("-3", PrometheusText.number(-3));
        assertEquals("9007199254740991", PrometheusText.number(9007199254740991.0));
        assertEquals("9.007199254740992E15", PrometheusText.number(9007199254740992.0));
        assertEquals("1.0E-4", PrometheusText.number(1e-4));
        assertEquals("+Inf", PrometheusText.number(Double.POSITIVE_INFINITY));
        assertEquals("-Inf", PrometheusText.number(Double.NEGATIVE_INFINITY));
        assertEquals("NaN", PrometheusText.number(Double.NaN));
    }

    @Test
    void shouldRefuseInvalidMetricAndLabelNames() {
        assertThrows(IllegalArgumentException.class, () -> text.gauge("1st", "x"));
        assertThrows(IllegalArgumentException.class, () -> text.gauge("has-dash", "x"));
        assertThrows(IllegalArgumentException.class, () -> text.gauge("", "x"));
        text.gauge("ok:name_1", "x");
        assertThrows(IllegalArgumentException.class, () -> text.sample(1, "bad-label", "v"));
        assertThrows(IllegalArgumentException.class, () -> text.sample(1, "__reserved", "v"));
        assertThrows(IllegalArgumentException.class, () -> text.sample(1, "a:b", "v"));
        assertThrows(IllegalArgumentException.class, () -> text.sample(1, "odd"));
        assertThrows(IllegalArgumentException.class, () -> text.sample(1, "a", "1", "a", "2"));
        assertEquals("# HELP ok:name_1 x\n# TYPE ok:name_1 gauge\n", out.toString(), "nothing half-written");
    }

    @Test
    void shouldRefuseACounterThatBreaksTheConventions() {
        assertThrows(IllegalArgumentException.class, () -> text.counter("requests", "x"));
        text.counter("requests_total", "x");
        assertThrows(IllegalArgumentException.class, () -> text.sample(-1));
        assertThrows(IllegalArgumentException.class, () -> text.sample(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> text.sample(Double.POSITIVE_INFINITY));
    }

    @Test
    void shouldRefuseNamesThatClashWithAHistogramsSeries() {
        assertThrows(IllegalArgumentException.class, () -> text.gauge("queue_count", "x"));
        assertThrows(IllegalArgumentException.class, () -> text.gauge("latency_bucket", "x"));
        text.histogram("latency", "x");
        assertThrows(IllegalStateException.class, () -> text.histogram("latency", "x"));
        assertThrows(IllegalStateException.class, () -> text.counter("latency_sum_total", "x").histogram("latency", "y"));
    }

    @Test
    void shouldRefuseAFamilyOrSeriesWrittenTwice() {
        text.gauge("g", "x").sample(1, "a", "1");
        assertThrows(IllegalStateException.class, () -> text.sample(2, "a", "1"));
        text.gauge("h", "x");
        assertThrows(IllegalStateException.class, () -> text.gauge("g", "x"));
    }

    @Test
    void shouldRefuseSamplesOutsideAMatchingFamily() {
        assertThrows(IllegalStateException.class, () -> text.sample(1));
        text.gauge("g", "x");
        assertThrows(IllegalStateException.class, () -> text.buckets(new double[0], new long[] {1}, 1));
        text.histogram("h", "x");
        assertThrows(IllegalStateException.class, () -> text.sample(1));
    }

    @Test
    void shouldRefuseBucketsThatDoNotFitTheFormat() {
        text.histogram("h", "x");
        assertThrows(IllegalArgumentException.class, () -> text.buckets(new double[] {1, 2}, new long[] {1, 1}, 1));
        assertThrows(IllegalArgumentException.class, () -> text.buckets(new double[] {2, 1}, new long[] {1, 1, 1}, 1));
        assertThrows(IllegalArgumentException.class, () -> text.buckets(new double[] {1, 1}, new long[] {1, 1, 1}, 1));
        assertThrows(IllegalArgumentException.class,
                () -> text.buckets(new double[] {Double.POSITIVE_INFINITY}, new long[] {1, 1}, 1));
        assertThrows(IllegalArgumentException.class, () -> text.buckets(new double[] {1}, new long[] {1, 1}, 1, "le", "5"));
        assertThrows(IllegalArgumentException.class, () -> text.buckets(new double[] {1}, new long[] {1, -1}, 1));
        assertThrows(ArithmeticException.class, () -> text.buckets(new double[] {1}, new long[] {Long.MAX_VALUE, 1}, 1));
        assertEquals("# HELP h x\n# TYPE h histogram\n", out.toString());
    }
}
