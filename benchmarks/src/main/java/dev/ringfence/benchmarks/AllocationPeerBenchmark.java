package dev.ringfence.benchmarks;

import bench.kernels.MixedAllocation;
import com.google.monitoring.runtime.instrumentation.AllocationRecorder;
import com.google.monitoring.runtime.instrumentation.Sampler;
import dev.ringfence.api.Budgets;
import dev.ringfence.limiter.Meter;
import dev.ringfence.limiter.Policy;
import dev.ringfence.limiter.SandboxThread;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What allocation accounting costs, ringfence against Google's java-allocation-instrumenter, on
 * an allocation-heavy workload ({@link MixedAllocation}):
 * <ul>
 *   <li>{@code plain}: the workload as compiled;</li>
 *   <li>{@code ringfence}: instrumented by ringfence, on a {@link SandboxThread} under a meter
 *       with an allocation budget on (arrays checked before they are allocated, the thread's
 *       allocated bytes read on the slow path), and, to tell the two costs apart, with no budget;</li>
 *   <li>{@code peer}: the plain workload in a JVM started with the peer's agent, which rewrites
 *       every class it loads (JMH's and the JDK's included) to call a recorder at each
 *       allocation; a {@link Sampler} adds each size to a per-thread counter.</li>
 * </ul>
 * The peer's agent is a JVM-wide setting, so it runs in forks of its own, and
 * {@code peerBaseline} shows what the agent adds to JMH's harness alone. The agent path is
 * relative: run from {@code benchmarks/}, where the build puts the agent jar under {@code target/}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {SandboxThreadPool.EXECUTOR, SandboxThreadPool.EXECUTOR_CLASS, AllocationPeerBenchmark.HEAP_MIN,
        AllocationPeerBenchmark.HEAP_MAX})
public class AllocationPeerBenchmark {
    /** A fixed heap, so that every variant's GC works on the same young generation. */
    static final String HEAP_MIN = "-Xms1g";
    /** A fixed heap, so that every variant's GC works on the same young generation. */
    static final String HEAP_MAX = "-Xmx1g";
    /** The peer's agent, copied next to the benchmark jar by the build. */
    static final String PEER_AGENT = "-javaagent:target/java-allocation-instrumenter.jar";

    /**
     * The cost of the harness itself.
     *
     * @return a constant
     */
    @Benchmark
    public long baseline() {
        return 42;
    }

    /**
     * The workload as compiled.
     *
     * @param s the workload
     * @return its result
     */
    @Benchmark
    public long plain(Plain s) {
        return s.work.getAsLong();
    }

    /**
     * The workload instrumented by ringfence, under a meter with an allocation budget.
     *
     * @param s the workload and its meter
     * @return its result
     */
    @Benchmark
    public long ringfence(Ringfence s) {
        return s.work.getAsLong();
    }

    /**
     * The workload in a JVM instrumented by the peer, with a sampler registered.
     *
     * @param s the workload and its sampler
     * @return its result
     */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {SandboxThreadPool.EXECUTOR, SandboxThreadPool.EXECUTOR_CLASS, HEAP_MIN, HEAP_MAX, PEER_AGENT})
    public long peer(Peer s) {
        return s.work.getAsLong();
    }

    /**
     * The harness alone, in a JVM instrumented by the peer.
     *
     * @return a constant
     */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {SandboxThreadPool.EXECUTOR, SandboxThreadPool.EXECUTOR_CLASS, HEAP_MIN, HEAP_MAX, PEER_AGENT})
    public long peerBaseline() {
        return 42;
    }

    /** The plain workload. */
    @State(Scope.Thread)
    public static class Plain {
        LongSupplier work;

        /** Loads the workload unchanged. */
        @Setup(Level.Trial)
        public void load() {
            work = KernelLoader.plain().create(MixedAllocation.class);
        }
    }

    /** The ringfence-instrumented workload and the meter of its thread. */
    @State(Scope.Thread)
    public static class Ringfence {
        /**
         * {@code alloc}: the allocation budget on, the figure compared with the peer; {@code none}:
         * no budget at all, which separates the cost of the instrumentation from that of reading
         * the thread's allocation counter.
         */
        @Param({"alloc", "none"})
        public String budget;

        LongSupplier work;
        private Meter meter;

        /** Loads the workload instrumented and attaches a meter with the chosen budget. */
        @Setup(Level.Trial)
        public void attach() {
            work = KernelLoader.instrumented().create(MixedAllocation.class);
            meter = Meter.attachToCurrentThread("alloc".equals(budget) ? NeverTrip.allocOnly() : Budgets.NONE,
                    Policy.DENY_ALL);
        }

        /** Fails the run if JMH moved this state to a thread that does not carry its meter. */
        @Setup(Level.Iteration)
        public void checkThread() {
            if (SandboxThread.currentMeter() != meter) {
                throw new IllegalStateException("the meter is not on this worker thread: " + Thread.currentThread());
            }
        }

        /** Detaches the meter and shows that the workload charged it. */
        @TearDown(Level.Trial)
        public void detach() {
            long fuel = meter.fuelUsed();
            meter.detach();
            System.out.printf(Locale.ROOT, "%n[ringfence] budget %s: %,d ticks charged to the meter%n", budget, fuel);
            if (fuel == 0 || meter.tripped()) {
                throw new IllegalStateException("the meter was not charged, or tripped: " + meter.tripMessage());
            }
        }
    }

    /** The plain workload, recorded by the peer's agent. */
    @State(Scope.Thread)
    public static class Peer {
        LongSupplier work;
        private final PerThreadBytes sampler = new PerThreadBytes();

        /** Loads the workload, registers the sampler and checks that the agent records. */
        @Setup(Level.Trial)
        public void register() {
            work = KernelLoader.plain().create(MixedAllocation.class);
            AllocationRecorder.addSampler(sampler);
            long before = PerThreadBytes.current();
            work.getAsLong();
            if (PerThreadBytes.current() == before) {
                throw new IllegalStateException("the peer's agent records nothing: fork with " + PEER_AGENT
                        + ", from benchmarks/");
            }
        }

        /** Unregisters the sampler and shows what it counted. */
        @TearDown(Level.Trial)
        public void unregister() {
            AllocationRecorder.removeSampler(sampler);
            System.out.printf(Locale.ROOT, "%n[peer] %,d bytes recorded on the benchmark thread%n", PerThreadBytes.current());
        }
    }

    /** The peer's sampler: adds each allocation's size to a counter of the allocating thread. */
    static final class PerThreadBytes implements Sampler {
        private static final ThreadLocal<long[]> BYTES = ThreadLocal.withInitial(() -> new long[1]);

        @Override
        public void sampleAllocation(int count, String desc, Object newObj, long size) {
            BYTES.get()[0] += size;
        }

        static long current() {
            return BYTES.get()[0];
        }
    }

    /**
     * Runs the benchmark and prints each variant's overhead over plain, and the ratio of the
     * peer's overhead to ringfence's: the figure the issue wants at 3x or more.
     *
     * @param args JMH options, e.g. {@code -f 1 -wi 3 -w 1s -i 5 -r 1s}
     * @throws Exception when JMH fails
     */
    public static void main(String[] args) throws Exception {
        Scores s = Scores.run(AllocationPeerBenchmark.class, args);
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%nMedians in %s.%n", s.unit()));
        out.append(comparison(s, "wall", s::median));
        if (s.hasCpu()) {
            out.append(comparison(s, "CPU", s::cpuMedian));
        }
        System.out.print(out);
    }

    /** Reads one kind of median of a method for some parameter values. */
    private interface Reading {
        double median(String method, String... params);
    }

    private static String comparison(Scores s, String kind, Reading r) {
        double plain = r.median("plain");
        double ringfence = r.median("ringfence", "budget", "alloc");
        double peer = r.median("peer");
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%n| variant | %s | over plain | ratio to plain |%n|---|---:|---:|---:|%n", kind));
        out.append(row("plain", plain, plain));
        out.append(row("ringfence (alloc budget on)", ringfence, plain));
        if (s.has("ringfence", "budget", "none")) {
            out.append(row("ringfence instrumented, no budget", r.median("ringfence", "budget", "none"), plain));
        }
        out.append(row("java-allocation-instrumenter", peer, plain));
        out.append(String.format(Locale.ROOT, "| baseline | %s | | |%n", Scores.format(r.median("baseline"))));
        out.append(String.format(Locale.ROOT, "| baseline under the peer's agent | %s | | |%n",
                Scores.format(r.median("peerBaseline"))));
        double rfOver = ringfence - plain;
        double peerOver = peer - plain;
        if (rfOver <= 0) {
            out.append(String.format(Locale.ROOT, "%n%s: ringfence's overhead is within noise (%s); the peer's is %s%n",
                    kind, Scores.format(rfOver), Scores.format(peerOver)));
        } else {
            double ratio = peerOver / rfOver;
            out.append(String.format(Locale.ROOT, "%n%s: the peer's accounting costs %.1fx ringfence's (bar: >= 3x): %s%n",
                    kind, ratio, ratio >= 3 ? "within the bar" : "BELOW the bar"));
        }
        return out.toString();
    }

    private static String row(String name, double value, double plain) {
        return String.format(Locale.ROOT, "| %s | %s | %s | %.3fx |%n", name, Scores.format(value),
                Scores.format(value - plain), value / plain);
    }
}
