package dev.ringfence.benchmarks;

import dev.ringfence.agent.gates.Gates;
import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.agent.process.PipeWorker;
import dev.ringfence.agent.process.StartupCache;
import dev.ringfence.agent.process.WorkerProcess;
import dev.ringfence.agent.process.WorkerSpec;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.benchmarks.fixtures.Echo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.HdrHistogram.Histogram;

/**
 * Figures of the process tier (issue 4): the round trip of a 1 KB echo through a warm child JVM
 * over the mapped Agrona rings against the same echo, same child code, over the child's stdin and
 * stdout pipes; then the CPU an idle warm child uses. Run from the repository root after
 * {@code mvn -B -q -o -DskipTests package}, with the agent jar on the class path (the benchmark
 * jar does not carry it):
 *
 * <pre>
 * java -cp agent/target/ringfence-agent.jar:benchmarks/target/ringfence-benchmarks.jar \
 *     dev.ringfence.benchmarks.ProcessTierLoad [--rounds 5] [--trips 100000] [--idle 10s]
 * </pre>
 *
 * Each round runs {@code trips} round trips on each transport (warm-up: one round, not counted),
 * alternating them; latencies are recorded in one histogram per transport.
 *
 * <p>{@code --mode startup [--starts 20] [--cache DIR]}: child cold start to first response, a
 * plain start against a start from the start-up cache ({@link StartupCache}), interleaved. The
 * cache's entry is made first (a child started, trained, stopped; not counted); then each of
 * {@code starts} rounds starts one worker of each kind from nothing, sends one 1 KB echo and
 * stops it; the time is from {@code start()} to that echo's answer. A cached start whose child
 * does not report {@code used} is counted in the output. Run it with
 * {@code -javaagent:agent/target/ringfence-agent.jar} as well, as {@code serve} runs: its children
 * then start from the gates this JVM wove ({@link Gates#wovenGatesFile}); the output says whether they do.
 */
public final class ProcessTierLoad {
    private ProcessTierLoad() {
    }

    /**
     * @param args options
     * @throws Exception when a child does not start
     */
    public static void main(String[] args) throws Exception {
        if (opt(args, "mode", "echo").equals("startup")) {
            startup(args);
            return;
        }
        int rounds = Integer.parseInt(opt(args, "rounds", "5"));
        int trips = Integer.parseInt(opt(args, "trips", "100000"));
        Duration idle = Duration.parse("PT" + opt(args, "idle", "10s").toUpperCase(Locale.ROOT));
        Path agent = Path.of(opt(args, "agent", "agent/target/ringfence-agent.jar")).toAbsolutePath();
        Path work = TempDirs.create("ringfence-process-load");
        Path jar = HandlerJars.write(work, "echo.jar", "echo", Echo.class);
        WorkerSpec spec = WorkerSpec.of(agent, List.of(jar), Echo.class.getName(), work.resolve("channels"));
        byte[] body = new byte[1024];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) i;
        }
        Request request = Request.builder("echo").method("POST").body(body).build();
        long deadline = TimeUnit.SECONDS.toNanos(5);
        System.out.printf("JDK %s, %d cores; %d rounds of %d round trips of a %d-byte echo%n",
                Runtime.version(), Runtime.getRuntime().availableProcessors(), rounds, trips, body.length);
        Histogram ring = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        Histogram pipe = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        try (WorkerProcess w = WorkerProcess.of(spec); PipeWorker p = new PipeWorker(spec)) {
            w.start();
            if (!w.awaitReady(TimeUnit.SECONDS.toNanos(60))) {
                throw new IllegalStateException("the ring child did not become ready");
            }
            for (int round = 0; round <= rounds; round++) {
                boolean count = round > 0;
                trips(trips, count ? ring : null, r -> w.invoke(r, deadline), request);
                trips(trips, count ? pipe : null, r -> p.invoke(r, deadline), request);
            }
            print("ring (mapped file)", ring);
            print("pipes (stdin/stdout)", pipe);
            ProcessHandle child = ProcessHandle.of(w.pid()).orElseThrow();
            long cpuBefore = cpuNanos(child);
            long start = System.nanoTime();
            Thread.sleep(idle.toMillis());
            long cpu = cpuNanos(child) - cpuBefore;
            long wall = System.nanoTime() - start;
            System.out.printf("idle warm child (pid %d): %.1f ms of CPU over %.1f s = %.2f %% of one core%n", child.pid(),
                    cpu / 1e6, wall / 1e9, 100.0 * cpu / wall);
        }
    }

    private static void startup(String[] args) throws Exception {
        int starts = Integer.parseInt(opt(args, "starts", "20"));
        Path agent = Path.of(opt(args, "agent", "agent/target/ringfence-agent.jar")).toAbsolutePath();
        Path work = TempDirs.create("ringfence-startup-load");
        Path cacheDir = Path.of(opt(args, "cache", work.resolve("startup-cache").toString()));
        Path jar = HandlerJars.write(work, "echo.jar", "echo", Echo.class);
        WorkerSpec spec = WorkerSpec.of(agent, List.of(jar), Echo.class.getName(), work.resolve("channels"));
        StartupCache cache = new StartupCache(cacheDir, 1L << 30, Duration.ofDays(1));
        Request request = Request.builder("echo").method("POST").body(new byte[1024]).build();
        System.out.printf("JDK %s, %d cores; %d interleaved starts of each kind: plain and from the start-up cache (%s)%n",
                Runtime.version(), Runtime.getRuntime().availableProcessors(), starts, cacheDir);
        System.out.printf("children start from the gates this JVM wove: %s%n",
                Gates.wovenGatesFile(spec.workDir()) != null ? "yes" : "no (run with -javaagent, as serve runs)");
        String version;
        long t0 = System.nanoTime();
        try (WorkerProcess w = WorkerProcess.of(spec)) {
            w.useStartupCache(cache, null, (event, message) -> System.out.println(event + ": " + message));
            w.start();
            version = w.invoke(request, TimeUnit.SECONDS.toNanos(60)).version();
            while (w.startupCache().equals("training")) {
                Thread.sleep(50);
            }
            if (!w.startupCache().equals("ready")) {
                throw new IllegalStateException("the start-up cache was not made: " + w.startupCache());
            }
        }
        System.out.printf("entry made for version %s in %.1f s (first start and training)%n", version,
                (System.nanoTime() - t0) / 1e9);
        Histogram plain = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        Histogram cached = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        Histogram plainCpu = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        Histogram cachedCpu = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        int notUsed = 0;
        for (int i = 0; i < starts; i++) {
            long[] p = firstResponse(spec, null, null, request);
            plain.recordValue(p[0]);
            plainCpu.recordValue(p[2]);
            long[] c = firstResponse(spec, cache, version, request);
            cached.recordValue(c[0]);
            cachedCpu.recordValue(c[2]);
            notUsed += (int) c[1];
        }
        printStarts("plain", plain);
        printStarts("start-up cache", cached);
        printStarts("plain, child CPU", plainCpu);
        printStarts("cached, child CPU", cachedCpu);
        System.out.printf("cached starts not using the archive: %d; p50 %.0f %% faster, p95 %.0f %% faster%n", notUsed,
                100.0 * (1 - (double) cached.getValueAtPercentile(50) / plain.getValueAtPercentile(50)),
                100.0 * (1 - (double) cached.getValueAtPercentile(95) / plain.getValueAtPercentile(95)));
    }

    /**
     * @return {nanoseconds from start to the first answer, 1 when a cached start did not use the
     *     archive, the child's CPU time (all its threads) at that answer}
     */
    private static long[] firstResponse(WorkerSpec spec, StartupCache cache, String version, Request request) {
        long start = System.nanoTime();
        try (WorkerProcess w = WorkerProcess.of(spec)) {
            if (cache != null) {
                w.useStartupCache(cache, version, (event, message) -> System.out.println(event + ": " + message));
            }
            w.start();
            InvocationResult r = w.invoke(request, TimeUnit.SECONDS.toNanos(60));
            long took = System.nanoTime() - start;
            if (r.outcome() != Outcome.OK) {
                throw new IllegalStateException("echo failed: " + r.outcome() + " " + r.message());
            }
            long cpu = ProcessHandle.of(w.pid()).flatMap(h -> h.info().totalCpuDuration()).map(Duration::toNanos)
                    .orElse(0L);
            return new long[] {took, cache != null && !w.startupCache().equals("used") ? 1 : 0, cpu};
        }
    }

    private static void printStarts(String name, Histogram h) {
        System.out.printf("%-18s n=%d p50 %.0f ms  p95 %.0f ms  min %.0f ms  max %.0f ms  mean %.0f ms%n", name,
                h.getTotalCount(), h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(95) / 1e6,
                h.getMinValue() / 1e6, h.getMaxValue() / 1e6, h.getMean() / 1e6);
    }

    private static void trips(int n, Histogram h, Function<Request, InvocationResult> call, Request request) {
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            InvocationResult r = call.apply(request);
            long took = System.nanoTime() - start;
            if (r.outcome() != Outcome.OK || r.response().body().length != request.bodyLength()) {
                throw new IllegalStateException("echo failed: " + r.outcome() + " " + r.message());
            }
            if (h != null) {
                h.recordValue(took);
            }
        }
    }

    private static void print(String name, Histogram h) {
        System.out.printf("%-22s n=%d p50 %.1f µs  p90 %.1f µs  p99 %.1f µs  p99.9 %.1f µs  max %.1f µs%n", name,
                h.getTotalCount(), h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3,
                h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3);
    }

    private static long cpuNanos(ProcessHandle p) {
        return p.info().totalCpuDuration().orElseThrow(() -> new IllegalStateException("no CPU time for " + p.pid()))
                .toNanos();
    }

    private static String opt(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--" + name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }
}
