package dev.ringfence.benchmarks;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.agent.pipeline.Route;
import dev.ringfence.agent.pipeline.RouteDefaults;
import dev.ringfence.agent.pipeline.RouteRuntime;
import dev.ringfence.agent.pipeline.RouteTable;
import dev.ringfence.agent.process.SpareChild;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.benchmarks.fixtures.Echo;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * Figures of the process tier's pools (issue 4), through the real pipeline ({@link Route}, as
 * {@code serve} builds it, without the HTTP front) in this JVM, children started from the agent
 * jar. Run from the repository root after {@code mvn -B -q -o -DskipTests package}:
 *
 * <pre>
 * java -cp agent/target/ringfence-agent.jar:benchmarks/target/ringfence-benchmarks.jar \
 *     dev.ringfence.benchmarks.ProcessPoolLoad zero [--samples 20]
 * java -cp agent/target/ringfence-agent.jar:benchmarks/target/ringfence-benchmarks.jar \
 *     dev.ringfence.benchmarks.ProcessPoolLoad kill [--kills 10]
 * </pre>
 *
 * <ul>
 * <li>{@code zero}: the first request to a process route scaled to zero, alternating a route whose
 *   caps match the host's warm spare (its child is the spare) and one with other caps ({@code heap=200m}:
 *   a cold child JVM start). Each sample parks the route, waits until the spare is warm again,
 *   then times {@code Route.invoke} of a 1 KB echo: the host loading the version again, the child
 *   loading it, and the request.</li>
 * <li>{@code kill}: two routes under load from 4 threads each, route A on a pool of 2 children,
 *   route B on one child. Every 2 s one busy child of A is killed with SIGKILL; timed is how long
 *   until A answers OK again (any child), and until A has two ready children again. Every non-OK
 *   answer of either route is counted.</li>
 * </ul>
 */
public final class ProcessPoolLoad {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private ProcessPoolLoad() {
    }

    /**
     * @param args {@code zero} or {@code kill}, then options
     * @throws Exception when a route does not load
     */
    public static void main(String[] args) throws Exception {
        String mode = args.length == 0 ? "zero" : args[0];
        Path work = TempDirs.create("ringfence-pool-load");
        Path jar = HandlerJars.write(work, "echo.jar", "echo", Echo.class);
        RouteTable routes = new RouteTable(RouteRuntime.standard(EventLog.NONE));
        System.out.printf("JDK %s, %d cores%n", Runtime.version(), Runtime.getRuntime().availableProcessors());
        try {
            if (mode.equals("kill")) {
                kill(routes, work, jar, Integer.parseInt(opt(args, "kills", "10")));
            } else {
                zero(routes, work, jar, Integer.parseInt(opt(args, "samples", "20")));
            }
        } finally {
            routes.closeAll();
            try (Stream<Path> all = Files.walk(work)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static Route route(RouteTable routes, Path work, Path jar, String name, String settings) throws Exception {
        Path dir = Files.createDirectories(work.resolve(name));
        Path file = dir.resolve("route.properties");
        Files.writeString(file, "handler=" + Echo.class.getName() + "\nisolation=process\n" + settings);
        Route r = routes.getOrAdd(name);
        if (!r.update(file, List.of(jar), RouteDefaults.NONE).ok()) {
            throw new IllegalStateException(name + ": " + r.lastReload().message());
        }
        return r;
    }

    private static Request echo(String id) {
        return Request.builder(id).method("POST").body(new byte[1024]).build();
    }

    private static void zero(RouteTable routes, Path work, Path jar, int samples) throws Exception {
        Route spare = route(routes, work, jar, "spare", "idle=60m\n");
        Route cold = route(routes, work, jar, "cold", "idle=60m\nheap=200m\n");
        SpareChild s = routes.runtime().spare();
        Histogram viaSpare = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        Histogram coldStart = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        // the CPU time of the calling thread: the host's own work on the way (the child's is not in it)
        Histogram viaSpareCpu = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        Histogram coldStartCpu = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        for (int i = -2; i < samples; i++) { // two rounds of warm-up, not counted
            for (Route r : List.of(spare, cold)) {
                if (!r.parkIfIdle(Long.MAX_VALUE / 2)) {
                    throw new IllegalStateException("route " + r.name() + " did not park");
                }
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!s.warm() && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
                Thread.sleep(300); // the parked child's exit and the new spare's start settle
                long cpuStart = THREADS.getCurrentThreadCpuTime();
                long start = System.nanoTime();
                InvocationResult res = r.invoke(echo("zero-" + i));
                long took = System.nanoTime() - start;
                long cpu = THREADS.getCurrentThreadCpuTime() - cpuStart;
                if (res.outcome() != Outcome.OK) {
                    throw new IllegalStateException(r.name() + ": " + res.outcome() + " " + res.message());
                }
                if (i >= 0) {
                    (r == spare ? viaSpare : coldStart).recordValue(took);
                    (r == spare ? viaSpareCpu : coldStartCpu).recordValue(Math.max(1, cpu));
                }
            }
        }
        System.out.printf("first request at zero, via the spare: children from the spare %d%n", spare.children().fromSpare());
        print("via the spare", viaSpare);
        print("cold child start", coldStart);
        print("  caller's CPU, spare", viaSpareCpu);
        print("  caller's CPU, cold", coldStartCpu);
    }

    private static void kill(RouteTable routes, Path work, Path jar, int kills) throws Exception {
        Route a = route(routes, work, jar, "a", "pool.min=2\npool.max=2\nretry.max=0\nbreaker.failures=1000\n");
        Route b = route(routes, work, jar, "b", "pool.min=1\npool.max=1\nretry.max=0\nbreaker.failures=1000\n");
        awaitChildren(a, 2);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong aErrors = new AtomicLong();
        AtomicLong bErrors = new AtomicLong();
        AtomicLong bOk = new AtomicLong();
        AtomicLong aOkAt = new AtomicLong();
        List<Thread> load = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Route r = t % 2 == 0 ? a : b;
            Thread th = new Thread(() -> {
                long n = 0;
                while (running.get()) {
                    InvocationResult res = r.invoke(echo("load-" + n++));
                    if (res.outcome() != Outcome.OK) {
                        (r == a ? aErrors : bErrors).incrementAndGet();
                    } else if (r == a) {
                        aOkAt.set(System.nanoTime());
                    } else {
                        bOk.incrementAndGet();
                    }
                }
            });
            th.start();
            load.add(th);
        }
        Histogram servingAgain = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        Histogram replaced = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        Thread.sleep(2000);
        for (int k = 0; k < kills; k++) {
            long victim = a.children().pids().get(k % 2);
            long killedAt = System.nanoTime();
            ProcessHandle.of(victim).orElseThrow().destroyForcibly();
            while (aOkAt.get() - killedAt <= 0) {
                Thread.onSpinWait();
            }
            servingAgain.recordValue(aOkAt.get() - killedAt);
            awaitChildren(a, 2, victim);
            replaced.recordValue(System.nanoTime() - killedAt);
            Thread.sleep(2000);
        }
        running.set(false);
        for (Thread th : load) {
            th.join();
        }
        System.out.printf("%d kills of a busy child of route a (pool of 2) under load: errors on a %d, errors on b %d"
                + " (b answered %d OK)%n", kills, aErrors.get(), bErrors.get(), bOk.get());
        print("a serves again", servingAgain);
        print("a has 2 children again", replaced);
    }

    private static void awaitChildren(Route r, int n, long... gone) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < until) {
            List<Long> pids = r.children().pids();
            boolean ok = pids.size() == n && pids.stream().allMatch(p -> p > 0)
                    && pids.stream().noneMatch(p -> gone.length > 0 && p == gone[0]) && r.children().busy() >= 0;
            if (ok && r.children().ready() == n) {
                return;
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException("route " + r.name() + " did not get " + n + " children: " + r.children().pids());
    }

    private static void print(String name, Histogram h) {
        System.out.printf("%-24s n=%d p50 %.1f ms  p95 %.1f ms  max %.1f ms%n", name, h.getTotalCount(),
                h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(95) / 1e6, h.getMaxValue() / 1e6);
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
