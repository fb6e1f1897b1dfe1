package dev.ringfence.agent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import dev.ringfence.agent.it.Promtool;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code promtool check metrics} (Debian package {@code prometheus}) on the writer's output
 * when the tool is there: named by {@code -Dringfence.promtool=PATH}, else found on {@code PATH}.
 * Skipped otherwise.
 */
class PrometheusTextPromtoolTest {
    private static String[] check(String exposition) throws IOException, InterruptedException {
        Path tool = Promtool.find();
        assumeTrue(tool != null, "promtool not found (apt-get install prometheus, or -Dringfence.promtool=PATH)");
        Promtool.Verdict v = Promtool.check(tool, exposition);
        return new String[] {Integer.toString(v.exitCode()), v.output()};
    }

    @Test
    void shouldWriteWhatPromtoolAccepts() throws Exception {
        StringBuilder out = new StringBuilder();
        new PrometheusText(out)
                .counter("ringfence_requests_total", "Requests by route and outcome.")
                .sample(3, "route", "hello", "outcome", "OK")
                .sample(0, "route", "we\"ird\\route\nname", "outcome", "TIMEOUT")
                .gauge("ringfence_inflight", "Invocations running now.\nOne series per route.")
                .sample(2, "route", "hello")
                .gauge("ringfence_heap_used_bytes", "Heap in use.")
                .sample(123456789)
                .histogram("ringfence_latency_seconds", "Invocation latency.")
                .buckets(new double[] {0.0005, 0.005, 0.05, 0.5, 5}, new long[] {1, 2, 3, 4, 5, 6}, 42.125, "route", "hello")
                .buckets(new double[] {0.0005, 0.005, 0.05, 0.5, 5}, new long[] {0, 0, 0, 0, 0, 0}, 0, "route", "idle");
        String[] result = check(out.toString());
        assertEquals("0", result[0], result[1]);
        assertEquals("", result[1].trim());
    }

    @Test
    void shouldSeePromtoolRejectWhatTheWriterWouldRefuse() throws Exception {
        String[] result = check("# HELP requests x\n# TYPE requests counter\nrequests 1\n");
        assertNotEquals("0", result[0], "the check must be able to fail: " + result[1]);
    }
}
