package dev.ringfence.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InvocationStatsTest {
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void shouldSummarizeRecordedLatenciesPerRouteAndOutcome() {
        InvocationStats stats = new InvocationStats();
        for (int i = 1; i <= 100; i++) {
            stats.record("orders", "OK", 10L * i);
        }
        stats.record("orders", "TIMEOUT", 2_000);

        assertEquals(List.of(
                new LatencySummary("orders", "OK", 100, 500, 950, 990, 1000),
                new LatencySummary("orders", "TIMEOUT", 1, 2_000, 2_000, 2_000, 2_000)),
                stats.snapshot());
    }

    @Test
    void shouldKeepCumulativeSnapshotsAcrossCalls() {
        InvocationStats stats = new InvocationStats();
        stats.record("r", "OK", 100);
        stats.snapshot();
        stats.record("r", "OK", 300);

        assertEquals(List.of(new LatencySummary("r", "OK", 2, 100, 300, 300, 300)),
                stats.snapshot());
    }

    @Test
    void shouldPartitionValuesBetweenIntervals() {
        InvocationStats stats = new InvocationStats();
        stats.record("r", "OK", 100);
        stats.record("r", "OK", 200);
        List<LatencySummary> first = stats.intervalSnapshot();
        stats.record("r", "ERROR", 50);
        List<LatencySummary> second = stats.intervalSnapshot();

        assertEquals(List.of(new LatencySummary("r", "OK", 2, 100, 200, 200, 200)), first);
        assertEquals(List.of(new LatencySummary("r", "ERROR", 1, 50, 50, 50, 50)), second);
        assertTrue(stats.intervalSnapshot().isEmpty());
    }

    @Test
    void shouldCountNegativeLatencyAsZeroAndNullNamesAsDash() {
        InvocationStats stats = new InvocationStats();
        stats.record(null, null, -5);

        assertEquals(List.of(new LatencySummary("-", "-", 1, 0, 0, 0, 0)), stats.snapshot());
    }

    @Test
    void shouldLoseNoValueFromConcurrentWriters() throws Exception {
        InvocationStats stats = new InvocationStats();
        int writers = 4;
        int perWriter = 20_000;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            String route = "route-" + (w % 2);
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 1; i <= perWriter; i++) {
                    stats.record(route, "OK", i % 1000);
                }
            });
            thread.start();
            threads.add(thread);
        }
        go.countDown();
        long seenWhileWriting = 0;
        for (LatencySummary summary : stats.intervalSnapshot()) {
            seenWhileWriting += summary.count();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        long seenAfter = 0;
        for (LatencySummary summary : stats.intervalSnapshot()) {
            seenAfter += summary.count();
        }

        assertEquals((long) writers * perWriter, seenWhileWriting + seenAfter);
        long cumulative = stats.snapshot().stream().mapToLong(LatencySummary::count).sum();
        assertEquals((long) writers * perWriter, cumulative);
    }

    @Test
    void shouldFoldOnlyInvocationEventsFromARecordingFile() throws Exception {
        Path file = JfrFiles.record(dir.resolve("mixed.jfr"), () -> {
            RingfenceEvents.invocation("pay", "v1", "q1", "OK", 300, 0, 0, 0, null);
            RingfenceEvents.invocation("pay", "v1", "q2", "OK", 100, 0, 0, 0, null);
            RingfenceEvents.budgetExceeded("pay", "v1", "q3", "CPU_EXCEEDED", 1, 2, null);
            RingfenceEvents.versionLoaded("pay", "v1", 1, 1, 1, "cp");
        });
        InvocationStats stats = new InvocationStats();

        RecordingFile.readAllEvents(file).forEach(stats);

        assertEquals(List.of(new LatencySummary("pay", "OK", 2, 100, 300, 300, 300)),
                stats.snapshot());
    }

    @Test
    void shouldSeeInvocationsCommittedAfterTheStreamStarts() throws Exception {
        try (InvocationStats stats = new InvocationStats()) {
            stats.start();
            assertTrue(stats.awaitStreaming(PATIENCE), "stream did not start");

            for (int i = 1; i <= 10; i++) {
                RingfenceEvents.invocation("live", "v1", "q" + i, "OK", 100L * i, 0, 0, 0, null);
            }
            RingfenceEvents.invocation("live", "v1", "q11", "DENIED", 42, 0, 0, 0, null);

            List<LatencySummary> seen = awaitCount(stats, "live", 11);
            assertEquals(List.of(
                    new LatencySummary("live", "OK", 10, 500, 1000, 1000, 1000),
                    new LatencySummary("live", "DENIED", 1, 42, 42, 42, 42)), seen);
        }
    }

    @Test
    void shouldRunTheStreamOnANamedDaemonThread() throws Exception {
        InvocationStats stats = new InvocationStats();
        stats.start();
        try {
            assertTrue(stats.awaitStreaming(PATIENCE));
            Thread thread = streamThread();
            assertTrue(thread != null && thread.isDaemon(), "no daemon " +
                    InvocationStats.STREAM_THREAD_NAME + " thread");
            assertThrows(IllegalStateException.class, stats::start);
        } finally {
            stats.stop();
        }
        assertFalse(stats.isStreaming());
        assertFalse(stats.awaitStreaming(Duration.ZERO));
    }

    @Test
    void shouldStartAgainAfterStop() throws Exception {
        try (InvocationStats stats = new InvocationStats()) {
            stats.start();
            stats.stop();
            stats.start();
            assertTrue(stats.awaitStreaming(PATIENCE));

            RingfenceEvents.invocation("again", "v1", "q", "OK", 64, 0, 0, 0, null);

            assertEquals(List.of(new LatencySummary("again", "OK", 1, 64, 64, 64, 64)),
                    awaitCount(stats, "again", 1));
        }
    }

    private static Thread streamThread() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(InvocationStats.STREAM_THREAD_NAME))
                .findFirst().orElse(null);
    }

    /** Polls until the route has the expected count or the patience runs out. */
    private static List<LatencySummary> awaitCount(InvocationStats stats, String route,
            long expected) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        List<LatencySummary> rows;
        do {
            rows = new ArrayList<>();
            long count = 0;
            for (LatencySummary summary : stats.snapshot()) {
                if (summary.route().equals(route)) {
                    rows.add(summary);
                    count += summary.count();
                }
            }
            if (count >= expected) {
                return rows;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return rows;
    }
}
