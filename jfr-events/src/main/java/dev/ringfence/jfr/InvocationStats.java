package dev.ringfence.jfr;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Live latency percentiles per route and outcome, folded from {@code ringfence.Invocation}
 * events: fed by a {@link RecordingStream} it runs itself ({@link #start()}), by any
 * {@link RecordedEvent} handed to {@link #accept(RecordedEvent)}, or directly through
 * {@link #record(String, String, long)}.
 *
 * <h2>Assumptions and Guarantees</h2>
 * <ul>
 *   <li>Any number of threads may call {@code record} and {@code accept} at once. Writers never
 *       wait for readers: each value goes into an HdrHistogram {@link Recorder}, whose
 *       {@code recordValue} is wait-free. The first value of a new route and outcome pair
 *       registers its recorder in a {@link ConcurrentHashMap}, which may briefly contend with
 *       another writer registering at the same moment.</li>
 *   <li>{@link #snapshot()} and {@link #intervalSnapshot()} may be called from any thread; they
 *       serialize among themselves and never block writers. A snapshot includes every value
 *       whose {@code record} returned before the snapshot began; a value recorded during a
 *       snapshot lands in that one or the next, never in neither and never in both.</li>
 *   <li>{@link #snapshot()} covers everything since this object was created;
 *       {@link #intervalSnapshot()} covers what arrived since the previous
 *       {@code intervalSnapshot()}, so successive intervals partition the values.</li>
 *   <li>{@link #start()}, {@link #stop()} and {@link #close()} may be called from any thread and
 *       are serialized. The stream runs on one daemon thread named {@value #STREAM_THREAD_NAME};
 *       events it delivers are folded on that thread. Delivery lags commits by JFR's flush
 *       interval (about a second).</li>
 * </ul>
 *
 * <p>Latency is the event's {@code wallNanos} when positive, else its JFR duration. Values are
 * kept with three significant digits; negative values count as zero.
 */
public final class InvocationStats implements Consumer<RecordedEvent>, AutoCloseable {
    /** Name of the thread that runs the recording stream. */
    public static final String STREAM_THREAD_NAME = "ringfence-jfr-stream";

    private static final long JOIN_MILLIS = 5_000;

    private final ConcurrentHashMap<String, ConcurrentHashMap<String, Recorder>> recorders =
            new ConcurrentHashMap<>();

    private final Object readLock = new Object();
    private final LatencyHistograms cumulative = new LatencyHistograms();
    private final LatencyHistograms interval = new LatencyHistograms();
    private final Map<Recorder, Histogram> recycled = new HashMap<>();

    private RecordingStream stream;
    private Thread streamThread;
    /** The stream its thread should be running; lets that thread tell a stop from a failure. */
    private volatile RecordingStream current;
    private volatile CountDownLatch streaming = new CountDownLatch(1);

    /** Creates empty statistics, not streaming. */
    public InvocationStats() {
    }

    /**
     * Records one invocation's latency.
     *
     * @param route the route ({@code null} counts as {@code "-"})
     * @param outcome the {@link dev.ringfence.api.Outcome} name ({@code null} counts as {@code "-"})
     * @param nanos the latency in nanoseconds
     */
    public void record(String route, String outcome, long nanos) {
        recorder(route == null ? RecordedInvocations.UNKNOWN : route,
                outcome == null ? RecordedInvocations.UNKNOWN : outcome).recordValue(Math.max(0, nanos));
    }

    /**
     * Folds a recorded event in if it is a {@code ringfence.Invocation}; ignores any other.
     *
     * @param event a recorded event, from a stream or a recording file
     */
    @Override
    public void accept(RecordedEvent event) {
        if (RecordedInvocations.isInvocation(event)) {
            record(RecordedInvocations.route(event), RecordedInvocations.outcome(event),
                    RecordedInvocations.latencyNanos(event));
        }
    }

    /**
     * Summarizes everything recorded since this object was created.
     *
     * @return one summary per route and outcome, ordered by route then outcome
     */
    public List<LatencySummary> snapshot() {
        synchronized (readLock) {
            drain();
            return cumulative.summaries();
        }
    }

    /**
     * Summarizes what was recorded since the previous call of this method (or since creation).
     *
     * @return one summary per route and outcome seen in the interval, ordered by route then outcome
     */
    public List<LatencySummary> intervalSnapshot() {
        synchronized (readLock) {
            drain();
            List<LatencySummary> summaries = interval.summaries();
            interval.clear();
            return summaries;
        }
    }

    /**
     * Starts a recording stream of {@code ringfence.Invocation} events on a daemon thread named
     * {@value #STREAM_THREAD_NAME}. Events committed before the stream's recording is running
     * are not seen; {@link #awaitStreaming(Duration)} waits for it.
     *
     * @throws IllegalStateException if already streaming
     */
    public synchronized void start() {
        if (stream != null) {
            throw new IllegalStateException("already streaming");
        }
        CountDownLatch running = new CountDownLatch(1);
        RecordingStream newStream = new RecordingStream();
        newStream.enable(InvocationEvent.NAME).withoutThreshold().withoutStackTrace();
        newStream.onEvent(InvocationEvent.NAME, this);
        newStream.onFlush(running::countDown);
        Thread thread = new Thread(() -> run(newStream), STREAM_THREAD_NAME);
        thread.setDaemon(true);
        streaming = running;
        current = newStream;
        stream = newStream;
        streamThread = thread;
        thread.start();
    }

    /**
     * Waits until the stream started by {@link #start()} has delivered its first flush, after
     * which every committed invocation event reaches these statistics.
     *
     * @param timeout how long to wait at most
     * @return true if the stream is running, false if the timeout passed or it was never started
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitStreaming(Duration timeout) throws InterruptedException {
        return streaming.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Tells whether a stream is running.
     *
     * @return true between {@link #start()} and {@link #stop()}
     */
    public synchronized boolean isStreaming() {
        return stream != null;
    }

    /**
     * Closes the recording stream, if any, and waits a bounded time for its thread to end.
     * Statistics gathered so far are kept. Does nothing if not streaming.
     */
    public synchronized void stop() {
        if (stream == null) {
            return;
        }
        current = null;
        stream.close();
        try {
            streamThread.join(JOIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stream = null;
        streamThread = null;
        streaming = new CountDownLatch(1);
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    private void run(RecordingStream stream) {
        try {
            stream.start();
        } catch (RuntimeException e) {
            // Never let it reach the host's uncaught-exception handler; a stop() that closed the
            // stream before it started is not worth a word.
            if (current == stream) {
                System.err.println("ringfence: JFR invocation stream failed: " + e);
            }
        }
    }

    private Recorder recorder(String route, String outcome) {
        ConcurrentHashMap<String, Recorder> byOutcome = recorders.get(route);
        if (byOutcome == null) {
            byOutcome = recorders.computeIfAbsent(route, r -> new ConcurrentHashMap<>());
        }
        Recorder recorder = byOutcome.get(outcome);
        if (recorder == null) {
            recorder = byOutcome.computeIfAbsent(outcome,
                    o -> new Recorder(LatencyHistograms.SIGNIFICANT_DIGITS));
        }
        return recorder;
    }

    /** Moves each recorder's interval into the cumulative and interval histograms. */
    private void drain() {
        recorders.forEach((route, byOutcome) -> byOutcome.forEach((outcome, recorder) -> {
            Histogram values = recorder.getIntervalHistogram(recycled.get(recorder));
            recycled.put(recorder, values);
            if (values.getTotalCount() == 0) {
                return;
            }
            cumulative.add(route, outcome, values);
            interval.add(route, outcome, values);
        }));
    }
}
