package dev.ringfence.benchmarks;

import dev.ringfence.agent.process.ResidentWatch;
import dev.ringfence.benchmarks.fixtures.DirectHog;
import dev.ringfence.benchmarks.fixtures.StuckInJdk;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * Issue 4's native-memory and stuck-thread figures, against a real {@code serve} JVM (the host):
 * <ol>
 * <li>a handler allocating 1 GB of direct memory in 1 MiB buffers, kept, under {@code native=64m}:
 *   on the process tier (the outcome, the child replaced, the host's resident memory before and
 *   after) and in-process (the per-invocation budget);</li>
 * <li>{@code --stuck} requests in a row (default 100) to a process-tier handler stuck in an
 *   uninterruptible wait under {@code timeout=200ms}: status and latency of each, then the host's
 *   descendants and thread count.</li>
 * </ol>
 * Run from the repository root after {@code mvn -B -q -o -DskipTests package}:
 *
 * <pre>
 * java -cp agent/target/ringfence-agent.jar:benchmarks/target/ringfence-benchmarks.jar \
 *     dev.ringfence.benchmarks.NativeLimitsLoad [--stuck 100]
 * </pre>
 */
public final class NativeLimitsLoad {
    private static final Pattern LONG_FIELD = Pattern.compile("\"%s\":(-?\\d+)");
    private static final String ROUTE = "retry.max=0\nbreaker.failures=100000\n";

    private NativeLimitsLoad() {
    }

    /**
     * @param args options
     * @throws Exception when the server does not start or a step fails
     */
    public static void main(String[] args) throws Exception {
        int stuck = Integer.parseInt(opt(args, "stuck", "100"));
        Path agent = Path.of(opt(args, "agent", "agent/target/ringfence-agent.jar")).toAbsolutePath();
        Path work = TempDirs.create("ringfence-native-load");
        Path routes = Files.createDirectories(work.resolve("routes"));
        route(routes, "hog-process", DirectHog.class, "isolation=process\nnative=64m\nheap=64m\ntimeout=120s\n");
        route(routes, "hog", DirectHog.class, "native=64m\ntimeout=120s\n");
        route(routes, "stuck", StuckInJdk.class, "isolation=process\nheap=64m\ntimeout=200ms\n");
        System.out.printf(Locale.ROOT, "NativeLimitsLoad, %s, java %s, %d CPUs, load average %s%n", Instant.now(),
                System.getProperty("java.runtime.version"), Runtime.getRuntime().availableProcessors(), ServeLoad.loadAverage());
        List<String> cmd = List.of(ChildServer.java(), "-Xmx256m", "-Dsun.net.httpserver.nodelay=true", "-jar",
                agent.toString(), "serve", routes.toString(), "--port", "0");
        try (ChildServer host = ChildServer.start("ringfence serve", cmd, Map.of("XDG_CACHE_HOME",
                work.resolve("cache").toString()), work.resolve("serve.log"), Duration.ofSeconds(60))) {
            awaitChild(host, "hog-process", -1);
            awaitChild(host, "stuck", -1);
            directHog(host);
            stuckRequests(host, stuck);
        }
        System.out.println("load average at the end: " + ServeLoad.loadAverage() + "; log in " + work.resolve("serve.log"));
    }

    private static void directHog(ChildServer host) throws Exception {
        System.out.println();
        System.out.println("1 GB of direct memory in 1 MiB buffers, kept, under native=64m");
        long rssBefore = ResidentWatch.residentBytes(host.pid());
        long childBefore = childPid(host, "hog-process");
        long start = System.nanoTime();
        LoopbackHttp.Response r = get(host, "/fn/hog-process");
        long took = System.nanoTime() - start;
        long childAfter = awaitChild(host, "hog-process", childBefore);
        long replaced = System.nanoTime() - start;
        long rssAfter = ResidentWatch.residentBytes(host.pid());
        System.out.printf(Locale.ROOT, "process tier: %d %s in %.0f ms: %s%n", r.status(), r.header("x-ringfence-outcome"),
                took / 1e6, r.bodyText());
        System.out.printf(Locale.ROOT, "  child %d replaced by %d, ready %.0f ms after the request was sent; host RSS"
                + " %.1f MiB before, %.1f MiB after%n", childBefore, childAfter, replaced / 1e6, mib(rssBefore), mib(rssAfter));
        rssBefore = ResidentWatch.residentBytes(host.pid());
        start = System.nanoTime();
        r = get(host, "/fn/hog");
        took = System.nanoTime() - start;
        rssAfter = ResidentWatch.residentBytes(host.pid());
        System.out.printf(Locale.ROOT, "in-process:   %d %s in %.0f ms: %s%n", r.status(), r.header("x-ringfence-outcome"),
                took / 1e6, r.bodyText());
        System.out.printf(Locale.ROOT, "  host RSS %.1f MiB before, %.1f MiB after (what the handler kept before its"
                + " budget ran out stays until its version is unloaded)%n", mib(rssBefore), mib(rssAfter));
    }

    private static void stuckRequests(ChildServer host, int n) throws Exception {
        System.out.println();
        System.out.printf(Locale.ROOT, "%d requests in a row to a handler stuck in awaitUninterruptibly(), timeout=200ms,"
                + " process tier%n", n);
        long threadsBefore = threads(host.pid());
        List<ProcessHandle> before = host.descendants();
        Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        Map<String, Integer> answers = new TreeMap<>();
        int within300 = 0;
        StringBuilder late = new StringBuilder();
        try (LoopbackHttp http = new LoopbackHttp(host.address(), 30_000)) {
            for (int i = 0; i < n; i++) {
                long start = System.nanoTime();
                LoopbackHttp.Response r = http.send(http.get("/fn/stuck"));
                long took = System.nanoTime() - start;
                h.recordValue(took);
                if (took <= TimeUnit.MILLISECONDS.toNanos(300)) {
                    within300++;
                } else {
                    late.append(String.format(Locale.ROOT, " #%d %.0f ms", i, took / 1e6));
                }
                answers.merge(r.status() + " " + r.header("x-ringfence-outcome"), 1, Integer::sum);
            }
        }
        System.out.printf(Locale.ROOT, "answers %s; within 300 ms: %d of %d; p50 %.1f ms, p90 %.1f ms, p99 %.1f ms,"
                + " max %.1f ms%n", answers, within300, n, h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(90) / 1e6,
                h.getValueAtPercentile(99) / 1e6, h.getMaxValue() / 1e6);
        if (late.length() > 0) {
            System.out.println("later than 300 ms:" + late);
        }
        long stuckChild = awaitChild(host, "stuck", -1);
        Thread.sleep(2_000); // let killed children be reaped
        List<ProcessHandle> after = host.descendants();
        long threadsAfter = threads(host.pid());
        System.out.printf(Locale.ROOT, "host descendants before: %d %s; after: %d %s (the routes' current children:"
                + " hog-process %d, stuck %d); host threads before %d, after %d%n", before.size(), pids(before), after.size(),
                pids(after), childPid(host, "hog-process"), stuckChild, threadsBefore, threadsAfter);
        System.out.println("the routes' children now (/status): hog-process " + children(host, "hog-process")
                + ", stuck " + children(host, "stuck") + ", hog (isolation=auto: moved to a child by its native-budget"
                + " trip) " + children(host, "hog"));
    }

    /** Each process's pid and what it is: a route's child, the host's spare, a start-up cache training. */
    private static List<String> pids(List<ProcessHandle> ps) {
        return ps.stream().sorted(java.util.Comparator.comparingLong(ProcessHandle::pid))
                .map(p -> p.pid() + " " + role(p.info().commandLine().orElse(""))).toList();
    }

    private static String role(String commandLine) {
        return commandLine.contains("--spare") ? "(spare)" : commandLine.contains("StartupTrainer")
                || commandLine.contains("DumpLoadedClassList") ? "(start-up cache training)"
                : commandLine.contains(" worker ") ? "(child)" : "(other)";
    }

    /** Waits (up to 60 s) until the route's child runs and is not {@code not}; returns its pid. */
    private static long awaitChild(ChildServer host, String route, long not) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < until) {
            long pid = childPid(host, route);
            if (pid > 0 && pid != not) {
                return pid;
            }
            Thread.sleep(20);
        }
        throw new IOException("route " + route + " has no new child after 60 s:\n" + ChildServer.tail(host.log(), 3000));
    }

    /** The route's {@code children} array in {@code /status}, as text. */
    private static String children(ChildServer host, String route) throws IOException {
        String body = get(host, "/status").bodyText();
        int at = body.indexOf("{\"name\":\"" + route + "\"");
        Matcher m = Pattern.compile("\"children\":(\\[[^\\]]*\\])").matcher(at < 0 ? "" : body.substring(at));
        return m.find() ? m.group(1) : "?";
    }

    private static long childPid(ChildServer host, String route) throws IOException {
        String body = get(host, "/status").bodyText();
        int at = body.indexOf("{\"name\":\"" + route + "\"");
        if (at < 0) {
            return -1;
        }
        Matcher m = Pattern.compile(String.format(LONG_FIELD.pattern(), "childPid")).matcher(body.substring(at));
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static LoopbackHttp.Response get(ChildServer host, String path) throws IOException {
        try (LoopbackHttp http = new LoopbackHttp(host.address(), 300_000)) {
            return http.send(http.get(path));
        }
    }

    private static long threads(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.ISO_8859_1)) {
            if (line.startsWith("Threads:")) {
                return Long.parseLong(line.substring("Threads:".length()).trim());
            }
        }
        return -1;
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }

    private static void route(Path routes, String name, Class<?> handler, String settings) throws IOException {
        Path folder = Files.createDirectories(routes.resolve(name));
        HandlerJars.write(folder, "handler.jar", name, handler);
        Files.writeString(folder.resolve("route.properties"), "handler=" + handler.getName() + "\n" + ROUTE + settings);
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
