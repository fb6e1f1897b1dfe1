package dev.ringfence.benchmarks;

import dev.ringfence.benchmarks.fixtures.Pause;
import dev.ringfence.benchmarks.fixtures.Versioned;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * Load figures of {@code serve} (issue 3), driven from this process over loopback against servers
 * in processes of their own. Run from the repository root after {@code mvn -B -q -o -DskipTests package}:
 *
 * <pre>
 * java -cp benchmarks/target/ringfence-benchmarks.jar dev.ringfence.benchmarks.ServeLoad FIGURE [--key value…]
 * </pre>
 *
 * <ul>
 *   <li>{@code hello}: the sample {@code Hello} route against {@link PlainHelloServer}, closed loop,
 *       rounds alternating the two servers.</li>
 *   <li>{@code overload}: a route of {@link Pause} (fixed service time, known capacity) offered
 *       eight times its capacity, open loop; admitted and rejected latencies, heap before, during
 *       and after.</li>
 *   <li>{@code hostile}: {@code hello} alone, then beside a runaway loop, an allocation bomb and a
 *       sleeper under load.</li>
 *   <li>{@code reload}: a new jar every second while clients call the route; failures and the
 *       delay from a jar landing to its first answer.</li>
 *   <li>{@code reloads}: many reloads of one route; Metaspace, loaded classes and loaders after
 *       full GCs ({@code jcmd PID GC.run}) before and after. To see the curve and what Metaspace
 *       holds: {@code --checkEvery N} prints the figures after full GCs every N reloads, and
 *       {@code --dump DIR} writes the server's {@code VM.metaspace} (per loader), class loader
 *       statistics, class histogram and code cache to DIR at each of those points.</li>
 * </ul>
 *
 * <p>Options: {@code --agent} (agent/target/ringfence-agent.jar), {@code --samples}
 * (samples/target/routes), {@code --xmx} (512m), and per figure the ones printed with its table.
 */
public final class ServeLoad {
    private static final Pattern NUMBER_FIELD = Pattern.compile("\"(%s)\":(-?\\d+)");

    private final Map<String, String> opts;
    private final Path work;
    private final List<ChildServer> children = new ArrayList<>();

    private ServeLoad(Map<String, String> opts, Path work) {
        this.opts = opts;
        this.work = work;
    }

    /**
     * @param args the figure, then {@code --key value} options
     * @throws Exception when a server does not start or a run fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: ServeLoad hello|overload|hostile|reload|reloads|coldstart|openloop [--key value…]");
            System.exit(2);
        }
        Map<String, String> opts = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println("options are --key value pairs, not: " + args[i]);
                System.exit(2);
            }
            opts.put(args[i].substring(2), args[++i]);
        }
        Path work = TempDirs.create("ringfence-serve-load");
        ServeLoad load = new ServeLoad(opts, work);
        System.out.printf(Locale.ROOT, "ServeLoad %s, %s, java %s (%s), %d CPUs, load average %s, servers with"
                + " -Dsun.net.httpserver.nodelay=%s, work dir %s%n%n", args[0], Instant.now(), System.getProperty("java.runtime.version"), System.getProperty("java.home"),
                Runtime.getRuntime().availableProcessors(), loadAverage(), Boolean.parseBoolean(opts.getOrDefault("nodelay",
                "true")), work);
        try {
            switch (args[0]) {
                case "hello" -> load.hello();
                case "overload" -> load.overload();
                case "hostile" -> load.hostile();
                case "reload" -> load.reload();
                case "reloads" -> load.reloads();
                case "coldstart" -> load.coldStart();
                case "openloop" -> load.openLoop();
                default -> {
                    System.err.println("unknown figure " + args[0]);
                    System.exit(2);
                }
            }
        } finally {
            load.stopAll();
        }
        System.out.println();
        System.out.println("load average at the end: " + loadAverage() + "; logs in " + work);
    }

    // ---------------------------------------------------------------- figures

    /** Hello at N connections, ringfence against the plain JDK server, alternating rounds. */
    private void hello() throws Exception {
        int conns = intOpt("connections", 50);
        int rounds = intOpt("rounds", 2);
        long warm = secondsOpt("warmup", 5);
        long measure = secondsOpt("seconds", 10);
        Path routes = Files.createDirectories(work.resolve("routes"));
        sampleRoute(routes, "hello", "handler=dev.ringfence.samples.Hello\nmaxInflight=64\nmaxQueue=64\n");
        ChildServer plain = startPlain();
        ChildServer rf = startServe(routes);
        byte[] expected = "hello, ada".getBytes(StandardCharsets.UTF_8);
        check(plain, "/hello?name=ada", "hello, ada");
        check(rf, "/fn/hello?name=ada", "hello, ada");
        System.out.printf(Locale.ROOT, "hello: %d connections, closed loop, %d round(s) of %d s warm-up + %d s each,"
                + " plain then ringfence%n%n", conns, rounds, warm / 1000, measure / 1000);
        LoadRun.Result plainAll = new LoadRun.Result();
        LoadRun.Result rfAll = new LoadRun.Result();
        List<String[]> rows = new ArrayList<>();
        long[] serverCpu = new long[2];
        for (int round = 1; round <= rounds; round++) {
            for (int s = 0; s < 2; s++) {
                ChildServer server = s == 0 ? plain : rf;
                AtomicLong wrongBody = new AtomicLong();
                long cpu0 = server.cpuNanos();
                String la = loadAverage();
                LoadRun.Result r = LoadRun.run(server.address(), s == 0 ? "/hello?name=ada" : "/fn/hello?name=ada", conns, 0,
                        warm, measure, 10_000, (resp, t) -> {
                            if (resp.status() == 200 && !java.util.Arrays.equals(resp.body(), expected)) {
                                wrongBody.incrementAndGet();
                            }
                        });
                long cpu = server.cpuNanos() - cpu0; // warm-up included, as is the client's
                serverCpu[s] += cpu;
                (s == 0 ? plainAll : rfAll).add(r);
                rows.add(row(String.valueOf(round), s == 0 ? "plain HttpServer" : "ringfence serve", r, 200,
                        cpu / (double) Math.max(1, r.count()) * (measure / (double) (warm + measure)),
                        r.cpuNanosClient / (double) Math.max(1, r.count()) * (measure / (double) (warm + measure)),
                        wrongBody.get(), la));
            }
        }
        rows.add(row("all", "plain HttpServer", plainAll, 200, Double.NaN, Double.NaN, 0, ""));
        rows.add(row("all", "ringfence serve", rfAll, 200, Double.NaN, Double.NaN, 0, ""));
        table(new String[] {"round", "server", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "not 200", "errors",
            "server CPU µs/req", "client CPU µs/req", "wrong body", "load avg at start"}, rows);
        double ratio = rfAll.count() / (double) Math.max(1, plainAll.count());
        System.out.printf(Locale.ROOT, "%nringfence / plain throughput: %.3f (bar ≥ 0.80: %s); p99 %.3f ms against %.3f ms%n",
                ratio, ratio >= 0.8 ? "met" : "NOT met", ms(rfAll.all().getValueAtPercentile(99)),
                ms(plainAll.all().getValueAtPercentile(99)));
        for (int round = 0; round < rounds; round++) {
            double p = Double.parseDouble(rows.get(2 * round)[3]);
            double f = Double.parseDouble(rows.get(2 * round + 1)[3]);
            System.out.printf(Locale.ROOT, "round %d ratio: %.3f%n", round + 1, f / p);
        }
        serverNotes(rf);
    }

    /** A route of known capacity offered eight times that, open loop. */
    private void overload() throws Exception {
        int inflight = intOpt("maxInflight", 4);
        int queue = intOpt("maxQueue", 4);
        int serviceMs = intOpt("serviceMs", 40);
        String timeout = opts.getOrDefault("timeout", "1s");
        double factor = Double.parseDouble(opts.getOrDefault("factor", "8"));
        int conns = intOpt("connections", 64);
        long warm = secondsOpt("warmup", 5);
        long measure = secondsOpt("seconds", 20);
        double capacity = inflight * 1000.0 / serviceMs;
        double rate = factor * capacity;
        Path routes = Files.createDirectories(work.resolve("routes"));
        Path folder = Files.createDirectories(routes.resolve("pause"));
        HandlerJars.write(folder, "pause.jar", "pause", Pause.class);
        Files.writeString(folder.resolve("route.properties"), "handler=" + Pause.class.getName() + "\nmaxInflight=" + inflight
                + "\nmaxQueue=" + queue + "\ntimeout=" + timeout + "\nbreaker.failures=1000000\n");
        ChildServer rf = startServe(routes);
        String path = "/fn/pause?ms=" + serviceMs;
        check(rf, path, "paused");
        Map<String, Long> before = settledJvm(rf);
        System.out.printf(Locale.ROOT, "overload: route pause sleeps %d ms, maxInflight=%d, maxQueue=%d, timeout=%s:"
                + " capacity %.0f req/s; offered %.0f req/s (%.1fx) open loop from %d connections, %d s warm-up + %d s%n%n",
                serviceMs, inflight, queue, timeout, capacity, rate, factor, conns, warm / 1000, measure / 1000);
        List<Long> heapSamples = new ArrayList<>();
        AtomicReference<Boolean> sampling = new AtomicReference<>(true);
        Thread sampler = new Thread(() -> {
            for (int i = 0; i < 600 && sampling.get(); i++) {
                try {
                    heapSamples.add(jvm(rf).get("heapUsedBytes"));
                    Thread.sleep(1000);
                } catch (IOException | InterruptedException e) {
                    return;
                }
            }
        }, "heap-sampler");
        sampler.setDaemon(true);
        String la = loadAverage();
        long cpu0 = rf.cpuNanos();
        sampler.start();
        LoadRun.Result r = LoadRun.run(rf.address(), path, conns, rate, warm, measure, 10_000, null);
        sampling.set(false);
        sampler.join(5_000);
        long cpu = rf.cpuNanos() - cpu0;
        Map<String, Long> after = settledJvm(rf);
        List<String[]> rows = new ArrayList<>();
        for (Map.Entry<Integer, Histogram> e : r.service.entrySet()) {
            Histogram s = e.getValue();
            Histogram d = r.fromDue.get(e.getKey());
            long over5 = s.getTotalCount() - s.getCountBetweenValues(0, TimeUnit.MILLISECONDS.toNanos(5));
            rows.add(new String[] {outcomeName(e.getKey()), Long.toString(s.getTotalCount()),
                f1(s.getTotalCount() / r.seconds), f3(ms(s.getValueAtPercentile(50))), f3(ms(s.getValueAtPercentile(99))),
                f3(ms(s.getValueAtPercentile(99.9))), f3(ms(s.getMaxValue())), Long.toString(over5),
                f3(ms(d.getValueAtPercentile(99))), f3(ms(d.getMaxValue()))});
        }
        table(new String[] {"answer", "requests", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "over 5 ms",
            "p99 ms from due time", "max ms from due time"}, rows);
        System.out.printf(Locale.ROOT, "%nerrors without a response: %d%s; offered in the window: %.0f req/s; load average"
                + " at start %s; server CPU %.1f s over %d s%n", r.errors, r.firstError == null ? "" : " (" + r.firstError + ")",
                r.count() / r.seconds, la, cpu / 1e9, (warm + measure) / 1000);
        long minHeap = heapSamples.stream().mapToLong(Long::longValue).min().orElse(-1);
        long maxHeap = heapSamples.stream().mapToLong(Long::longValue).max().orElse(-1);
        System.out.printf(Locale.ROOT, "%n| heap | MB |%n|---|---:|%n| after a full GC, before the run | %.1f |%n"
                + "| during the run, min / max of %d samples (1 s apart, no GC forced) | %.1f / %.1f |%n"
                + "| after a full GC, after the run | %.1f |%n| Metaspace before → after | %.1f → %.1f |%n"
                + "| loaded classes before → after | %d → %d |%n", mb(before.get("heapUsedBytes")), heapSamples.size(),
                mb(minHeap), mb(maxHeap), mb(after.get("heapUsedBytes")), mb(before.get("metaspaceUsedBytes")),
                mb(after.get("metaspaceUsedBytes")), before.get("loadedClasses"), after.get("loadedClasses"));
        long timeoutMs = parseMillis(timeout);
        Histogram ok = r.service.get(200);
        Histogram rej = r.service.get(503);
        System.out.printf(Locale.ROOT, "%nadmitted (200) p99 %s ms ≤ timeout %d ms: %s; rejected (503) p99 %s ms, max %s ms"
                + " < 5 ms: %s%n", ok == null ? "-" : f3(ms(ok.getValueAtPercentile(99))), timeoutMs,
                ok != null && ms(ok.getValueAtPercentile(99)) <= timeoutMs ? "met" : "NOT met",
                rej == null ? "-" : f3(ms(rej.getValueAtPercentile(99))), rej == null ? "-" : f3(ms(rej.getMaxValue())),
                rej != null && ms(rej.getValueAtPercentile(99)) < 5 ? "met at p99" + (ms(rej.getMaxValue()) < 5
                        ? " and max" : ", not at max") : "NOT met");
        serverNotes(rf);
    }

    /** The healthy route alone, then beside hostile routes under load. */
    private void hostile() throws Exception {
        int conns = intOpt("connections", 16);
        int hostileConns = intOpt("hostileConnections", 2);
        long warm = secondsOpt("warmup", 5);
        long measure = secondsOpt("seconds", 15);
        Path routes = Files.createDirectories(work.resolve("routes"));
        sampleRoute(routes, "hello", "handler=dev.ringfence.samples.Hello\nmaxInflight=64\nmaxQueue=64\n");
        // --hostileSettings "cpu.share=0.25;quarantine.after=0" adds settings to each hostile route
        String extra = opts.getOrDefault("hostileSettings", "").trim();
        String hostileLimits = "maxInflight=2\nmaxQueue=2\nbreaker.failures=1000000\n"
                + (extra.isEmpty() ? "" : extra.replace(';', '\n') + "\n");
        sampleRoute(routes, "spin", "handler=dev.ringfence.samples.budget.SpinLoop\ncpu=200ms\n" + hostileLimits);
        sampleRoute(routes, "bomb", "handler=dev.ringfence.samples.budget.AllocInJdk\nalloc=32m\ncpu=1s\n" + hostileLimits);
        sampleRoute(routes, "sleep", "handler=dev.ringfence.samples.budget.SleepForever\ntimeout=1s\n" + hostileLimits);
        ChildServer rf = startServe(routes);
        check(rf, "/fn/hello?name=ada", "hello, ada");
        System.out.printf(Locale.ROOT, "hostile: hello at %d connections, closed loop, %d s warm-up + %d s; then the same"
                + " beside spin (SpinLoop, cpu=200ms), bomb (AllocInJdk, alloc=32m) and sleep (SleepForever, timeout=1s),"
                + " each maxInflight=2, maxQueue=2, breaker off%s, %d closed-loop connections each%n%n", conns, warm / 1000,
                measure / 1000, extra.isEmpty() ? "" : ", " + extra, hostileConns);
        String la1 = loadAverage();
        long cpu0 = rf.cpuNanos();
        LoadRun.Result alone = LoadRun.run(rf.address(), "/fn/hello?name=ada", conns, 0, warm, measure, 10_000, null);
        long cpuAlone = rf.cpuNanos() - cpu0;
        String la2 = loadAverage();
        Map<String, LoadRun.Result> hostile = new ConcurrentHashMap<>();
        List<Thread> hostileThreads = new ArrayList<>();
        for (String route : List.of("spin", "bomb", "sleep")) {
            Thread t = new Thread(() -> {
                try {
                    // starts with the healthy load and runs 2 s longer, so its whole window is under attack
                    hostile.put(route, LoadRun.run(rf.address(), "/fn/" + route, hostileConns, 0, warm, measure + 2_000, 10_000,
                            null));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "hostile-" + route);
            t.setDaemon(true);
            hostileThreads.add(t);
        }
        hostileThreads.forEach(Thread::start);
        cpu0 = rf.cpuNanos();
        LoadRun.Result beside = LoadRun.run(rf.address(), "/fn/hello?name=ada", conns, 0, warm, measure, 10_000, null);
        long cpuBeside = rf.cpuNanos() - cpu0;
        for (Thread t : hostileThreads) {
            t.join(measure + warm + 30_000);
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(row("alone", "hello", alone, 200, cpuAlone / (double) Math.max(1, alone.count()), Double.NaN, 0, la1));
        rows.add(row("beside hostile routes", "hello", beside, 200, Double.NaN, Double.NaN, 0, la2));
        table(new String[] {"phase", "route", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "not 200", "errors",
            "server CPU µs/req", "client CPU µs/req", "wrong body", "load avg at start"}, rows);
        double p99a = ms(alone.service.get(200).getValueAtPercentile(99));
        double p99b = ms(beside.service.get(200).getValueAtPercentile(99));
        System.out.printf(Locale.ROOT, "%nhello p99 beside / alone: %.3f / %.3f ms = %.2fx (bar ≤ 2x: %s); server CPU %.1f s"
                + " alone, %.1f s beside (over %d s each)%n%n", p99b, p99a, p99b / p99a, p99b / p99a <= 2 ? "met" : "NOT met",
                cpuAlone / 1e9, cpuBeside / 1e9, (warm + measure) / 1000);
        List<String[]> hrows = new ArrayList<>();
        for (String route : List.of("spin", "bomb", "sleep")) {
            LoadRun.Result h = hostile.get(route);
            if (h == null) {
                continue;
            }
            StringBuilder statuses = new StringBuilder();
            h.service.forEach((s, hist) -> statuses.append(statuses.length() == 0 ? "" : ", ").append(outcomeName(s))
                    .append(": ").append(hist.getTotalCount()));
            hrows.add(new String[] {route, statuses.toString(), f3(ms(h.all().getValueAtPercentile(50))),
                f3(ms(h.all().getMaxValue())), Long.toString(h.errors)});
        }
        table(new String[] {"hostile route", "answers in its window", "p50 ms", "max ms", "errors"}, hrows);
        String metrics = fetch(rf, "/metrics");
        System.out.println();
        for (String line : metrics.split("\n")) {
            if (line.startsWith("ringfence_requests_total") && !line.contains("route=\"hello\"") && !line.endsWith(" 0")
                    || line.startsWith("ringfence_abandoned_threads_total") && !line.endsWith(" 0")) {
                System.out.println("    " + line);
            }
        }
        serverNotes(rf);
    }

    /** A new jar every second while clients call the route. */
    private void reload() throws Exception {
        int conns = intOpt("connections", 50);
        int jars = intOpt("jars", 60);
        long warm = secondsOpt("warmup", 5);
        Path routes = Files.createDirectories(work.resolve("routes"));
        Path folder = Files.createDirectories(routes.resolve("hot"));
        HandlerJars.write(folder, "handler.jar", "v0", Versioned.class);
        Files.writeString(folder.resolve("route.properties"), "handler=" + Versioned.class.getName()
                + "\nmaxInflight=64\nmaxQueue=64\n");
        ChildServer rf = startServe(routes);
        check(rf, "/fn/hot", "v0");
        System.out.printf(Locale.ROOT, "reload: %d clients call /fn/hot (closed loop); after %d s of warm-up a new jar lands"
                + " every second, %d in all (written as .hot.tmp, then an atomic rename over handler.jar)%n%n", conns,
                warm / 1000, jars);
        Map<Integer, Long> firstSeen = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicLong failed = new AtomicLong();
        long measure = (jars + 3) * 1000L;
        String la = loadAverage();
        AtomicReference<LoadRun.Result> result = new AtomicReference<>();
        Thread load = new Thread(() -> {
            try {
                result.set(LoadRun.run(rf.address(), "/fn/hot", conns, 0, warm, measure, 10_000, (resp, t) -> {
                    String body = resp.bodyText();
                    if (resp.status() != 200 || !body.startsWith("v")) {
                        failed.incrementAndGet();
                        if (failures.size() < 10) {
                            failures.add(resp.status() + " " + body);
                        }
                        return;
                    }
                    firstSeen.putIfAbsent(Integer.parseInt(body.substring(1)), t);
                }));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "reload-load");
        load.start();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20 + warm);
        long[] landed = new long[jars + 1];
        for (int k = 1; k <= jars; k++) {
            long due = start + TimeUnit.SECONDS.toNanos(k - 1);
            for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait)));
            }
            HandlerJars.write(folder, ".hot.tmp", "v" + k, Versioned.class);
            Files.move(folder.resolve(".hot.tmp"), folder.resolve("handler.jar"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            landed[k] = System.nanoTime();
        }
        load.join(measure + warm + 30_000);
        LoadRun.Result r = result.get();
        if (r == null) {
            throw new IllegalStateException("the load did not finish");
        }
        Histogram delay = LoadRun.histogram();
        int seen = 0;
        int late = 0;
        List<Integer> unseen = new ArrayList<>();
        for (int k = 1; k <= jars; k++) {
            Long t = firstSeen.get(k);
            if (t == null) {
                unseen.add(k);
                continue;
            }
            seen++;
            delay.recordValue(Math.max(0, t - landed[k]));
            if (t - landed[k] > TimeUnit.SECONDS.toNanos(1)) {
                late++;
            }
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(row("-", "hot", r, 200, Double.NaN, r.cpuNanosClient / (double) Math.max(1, r.count()), failed.get(), la));
        table(new String[] {"", "route", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "not 200", "errors",
            "server CPU µs/req", "client CPU µs/req", "failed checks (warm-up too)", "load avg at start"}, rows);
        System.out.printf(Locale.ROOT, "%n| jars landed | versions that answered | never answered | landing → first answer"
                + " p50 / p90 / max ms | later than 1 s |%n|---:|---:|---:|---|---:|%n| %d | %d | %s | %s / %s / %s | %d |%n",
                jars, seen, unseen.isEmpty() ? "0" : unseen.size() + " " + unseen, f1(ms(delay.getValueAtPercentile(50))),
                f1(ms(delay.getValueAtPercentile(90))), f1(ms(delay.getMaxValue())), late);
        long failures0 = r.countOther(200) + r.errors + failed.get();
        System.out.printf(Locale.ROOT, "%nno request fails: %s (%d not 200, %d errors%s%s); each version within 1 s: %s;"
                + " reconnects of idle connections: %d%n", failures0 == 0 ? "met" : "NOT met", r.countOther(200), r.errors,
                r.firstError == null ? "" : ", first: " + r.firstError, failures.isEmpty() ? "" : ", e.g. " + failures,
                late == 0 && unseen.isEmpty() ? "met" : "NOT met", r.reconnects);
        long leakedInRun = numbers(fetch(rf, "/status"), "leaked").get("leaked");
        Map<String, Long> after = settledJvm(rf);
        System.out.printf(Locale.ROOT, "%nloaders right after the run: leaked %d (a version not collected 60 s after its"
                + " retirement); after full GCs: alive %d, unloaded %d, leaked %d%n", leakedInRun, after.get("alive"),
                after.get("unloaded"), after.get("leaked"));
        serverNotes(rf);
    }

    /** Many reloads of one route, Metaspace and classes after full GCs. */
    private void reloads() throws Exception {
        int n = intOpt("reloads", 1000);
        // For about the first 700 reloads (JDK 17 and 25), Metaspace after full GCs grows in the
        // boot, platform and app loaders with no class added: the JIT's profiles (MethodData,
        // MethodCounters) of JDK and ringfence code that runs about once per reload, created as that
        // code reaches the compile thresholds. After that it is flat: +5.8 KB over reloads 1,000-2,000
        // on JDK 17, +6 KB over 1,000-1,500 on JDK 25; with -Xint it does not grow at all. So the
        // figure starts after 1,000 warm-up reloads. See BENCHMARKS.md 6.5.
        int warmups = intOpt("warmupReloads", 1000);
        int every = intOpt("checkEvery", 0);
        Path dump = opts.containsKey("dump") ? Files.createDirectories(Path.of(opts.get("dump"))) : null;
        Path routes = Files.createDirectories(work.resolve("routes"));
        Path folder = Files.createDirectories(routes.resolve("cycle"));
        HandlerJars.write(folder, "handler.jar", "r0", Versioned.class);
        Files.writeString(folder.resolve("route.properties"), "handler=" + Versioned.class.getName() + "\n");
        ChildServer rf = startServe(routes);
        check(rf, "/fn/cycle", "r0");
        Map<String, Long> atStart = settledJvm(rf);
        dumpJvm(rf, dump, "0-start");
        System.out.printf(Locale.ROOT, "reloads: %d warm-up reloads, then %d; each writes a jar with a new marker (its mtime"
                + " set 2 s back, so it is settled at the next poll), renames it over handler.jar and waits until the"
                + " route answers the marker%n%n", warmups, n);
        int k = 1;
        long w0 = System.nanoTime();
        for (; k <= warmups; k++) {
            reloadOnce(rf, folder, k);
            if (k % 100 == 0) {
                System.out.printf(Locale.ROOT, "  %d warm-up reloads, %.0f s%n", k, (System.nanoTime() - w0) / 1e9);
            }
        }
        Map<String, Long> before = settledJvm(rf);
        dumpJvm(rf, dump, "1-after-" + warmups + "-warmup");
        long t0 = System.nanoTime();
        String la = loadAverage();
        for (int i = 0; i < n; i++, k++) {
            reloadOnce(rf, folder, k);
            if (every > 0 && (i + 1) % every == 0 && i + 1 < n) {
                // checkpoints force full GCs mid-run: a diagnosis of the curve, not the figure's own conditions
                Map<String, Long> now = settledJvm(rf);
                System.out.printf(Locale.ROOT, "  %d reloads, %.0f s: Metaspace %.3f MB (%+.3f MB), loaded classes %d (%+d)%n",
                        i + 1, (System.nanoTime() - t0) / 1e9, mb(now.get("metaspaceUsedBytes")), (now.get(
                        "metaspaceUsedBytes") - before.get("metaspaceUsedBytes")) / 1048576.0, now.get("loadedClasses"),
                        now.get("loadedClasses") - before.get("loadedClasses"));
                dumpJvm(rf, dump, "2-after-" + (i + 1));
            } else if ((i + 1) % 100 == 0) {
                System.out.printf(Locale.ROOT, "  %d reloads, %.0f s%n", i + 1, (System.nanoTime() - t0) / 1e9);
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Long> after = settledJvm(rf);
        dumpJvm(rf, dump, "3-after-" + n);
        System.out.println();
        List<String[]> rows = new ArrayList<>();
        for (String key : List.of("metaspaceUsedBytes", "loadedClasses", "heapUsedBytes", "alive", "unloaded", "leaked")) {
            long b = before.get(key);
            long a = after.get(key);
            boolean bytes = key.endsWith("Bytes");
            rows.add(new String[] {key, bytes ? f1(mb(atStart.get(key))) + " MB" : Long.toString(atStart.get(key)),
                bytes ? f1(mb(b)) + " MB" : Long.toString(b), bytes ? f1(mb(a)) + " MB" : Long.toString(a),
                bytes ? String.format(Locale.ROOT, "%+.2f MB", (a - b) / 1048576.0) : String.format(Locale.ROOT, "%+d", a - b),
                b == 0 ? "" : String.format(Locale.ROOT, "%+.1f %%", 100.0 * (a - b) / b)});
        }
        table(new String[] {"after full GC", "server started", "after " + warmups + " warm-up reloads",
            "after " + n + " more", "delta", "delta %"}, rows);
        double dm = 100.0 * (after.get("metaspaceUsedBytes") - before.get("metaspaceUsedBytes")) / before.get("metaspaceUsedBytes");
        double dc = 100.0 * (after.get("loadedClasses") - before.get("loadedClasses")) / before.get("loadedClasses");
        System.out.printf(Locale.ROOT, "%n%d reloads in %.0f s (%.0f ms each; load average at start %s). Metaspace %+.1f %%,"
                + " loaded classes %+.1f %% (bar within ±5 %%: %s)%n", n, seconds, seconds * 1000 / n, la, dm, dc,
                Math.abs(dm) <= 5 && Math.abs(dc) <= 5 ? "met" : "NOT met");
        serverNotes(rf);
    }

    /**
     * With {@code --dump DIR}, writes the server's {@code VM.metaspace} (per loader, with its classes),
     * {@code VM.classloader_stats}, {@code VM.classloaders}, {@code GC.class_histogram},
     * {@code Compiler.codecache} and {@code Compiler.codelist} to {@code DIR/LABEL.txt}, to see what
     * Metaspace holds at that point.
     */
    private static void dumpJvm(ChildServer rf, Path dir, String label) throws IOException, InterruptedException {
        if (dir == null) {
            return;
        }
        StringBuilder out = new StringBuilder();
        for (String[] c : List.of(new String[] {"VM.metaspace", "show-loaders", "show-classes"},
                new String[] {"VM.classloader_stats"}, new String[] {"VM.classloaders", "show-classes"},
                new String[] {"GC.class_histogram"}, new String[] {"Compiler.codecache"}, new String[] {"Compiler.codelist"})) {
            out.append("==== jcmd ").append(String.join(" ", c)).append('\n').append(rf.jcmd(c)).append('\n');
        }
        Files.writeString(dir.resolve(label + ".txt"), out);
    }

    private void reloadOnce(ChildServer rf, Path folder, int k) throws IOException, InterruptedException {
        Path tmp = folder.resolve(".cycle.tmp");
        HandlerJars.write(folder, ".cycle.tmp", "r" + k, Versioned.class);
        Files.setLastModifiedTime(tmp, FileTime.fromMillis(System.currentTimeMillis() - 2_000));
        Files.move(tmp, folder.resolve("handler.jar"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String want = "r" + k;
        try (LoopbackHttp http = new LoopbackHttp(rf.address(), 10_000)) {
            byte[] req = http.get("/fn/cycle");
            while (System.nanoTime() < until) {
                if (want.equals(http.send(req).bodyText())) {
                    return;
                }
                Thread.sleep(10);
            }
        }
        throw new IOException("reload " + k + " did not answer within 20 s:\n" + ChildServer.tail(rf.log(), 2000));
    }

    // ---------------------------------------------------------------- servers

    private ChildServer startServe(Path routes) throws IOException, InterruptedException {
        Path agent = Path.of(opts.getOrDefault("agent", "agent/target/ringfence-agent.jar"));
        if (!Files.isRegularFile(agent)) {
            throw new IOException("no agent jar at " + agent.toAbsolutePath() + " (run from the repository root after"
                    + " mvn package, or pass --agent)");
        }
        Path cache = Files.createDirectories(work.resolve("cache"));
        List<String> cmd = new ArrayList<>(List.of(ChildServer.java(), "-Xmx" + opts.getOrDefault("xmx", "512m"), nodelay()));
        cmd.addAll(serverArgs());
        cmd.addAll(List.of("-jar", agent.toString(), "serve", routes.toString(), "--port", "0"));
        ChildServer s = ChildServer.start("ringfence serve", cmd,
                Map.of("XDG_CACHE_HOME", cache.toString()), work.resolve("serve.log"), Duration.ofSeconds(60));
        children.add(s);
        return s;
    }

    private ChildServer startPlain() throws IOException, InterruptedException {
        ChildServer s = ChildServer.start("plain HttpServer", List.of(ChildServer.java(), "-Xmx" + opts.getOrDefault("xmx",
                "512m"), nodelay(), "-cp", System.getProperty("java.class.path"), PlainHelloServer.class.getName(), "0"), Map.of(),
                work.resolve("plain.log"), Duration.ofSeconds(60));
        children.add(s);
        return s;
    }

    /** Extra JVM options for the ringfence server ({@code --serverArgs "-XX:… -XX:…"}), to profile it, say. */
    private List<String> serverArgs() {
        String a = opts.getOrDefault("serverArgs", "").trim();
        return a.isEmpty() ? List.of() : List.of(a.split("\\s+"));
    }

    /**
     * The JDK's HTTP server leaves Nagle's algorithm on unless {@code sun.net.httpserver.nodelay}
     * is true; it writes a response's headers and body in two segments, so with Nagle on every
     * keep-alive response waits for the client's delayed ACK (about 40 ms on Linux). Both servers
     * get the same setting: {@code --nodelay true} (the default) or {@code false}.
     */
    private String nodelay() {
        return "-Dsun.net.httpserver.nodelay=" + Boolean.parseBoolean(opts.getOrDefault("nodelay", "true"));
    }

    private void stopAll() {
        for (ChildServer c : children) {
            try {
                c.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Scale-to-zero's first-request latency: routes with {@code idle=1s} are left alone until
     * {@code /status} shows them parked, then called once (the cold start) and once more (warm).
     * {@code hello} is the sample jar's smallest handler; {@code echo} parses and writes JSON, so
     * its first request also loads and initialises more classes.
     */
    private void coldStart() throws Exception {
        int cycles = intOpt("cycles", 20);
        Path routes = Files.createDirectories(work.resolve("routes"));
        sampleRoute(routes, "hello", "handler=dev.ringfence.samples.Hello\nidle=1s\n");
        sampleRouteFrom(routes, "echo", "handler=dev.ringfence.samples.JsonEcho\nidle=1s\n", "echo");
        ChildServer rf = startServe(routes);
        check(rf, "/fn/hello?name=ada", "hello, ada");
        System.out.printf(Locale.ROOT, "coldstart: routes hello and echo with idle=1s; %d cycles of: wait until /status shows"
                + " the route parked, then time a first request (cold) and a second (warm), from this process%n%n", cycles);
        String la = loadAverage();
        Map<String, Histogram> cold = new LinkedHashMap<>();
        Map<String, Histogram> warmH = new LinkedHashMap<>();
        for (String route : List.of("hello", "echo")) {
            cold.put(route, LoadRun.histogram());
            warmH.put(route, LoadRun.histogram());
        }
        for (int k = 0; k < cycles; k++) {
            for (String route : List.of("hello", "echo")) {
                awaitParked(rf, route);
                try (LoopbackHttp http = new LoopbackHttp(rf.address(), 30_000)) {
                    byte[] get = route.equals("hello") ? http.get("/fn/hello?name=ada")
                            : http.postJson("/fn/echo", "{\"customer\":\"ada\",\"lines\":[{\"sku\":\"A-1\",\"quantity\":2,\"unitPriceCents\":150}]}");
                    http.send(http.get("/status")); // opens the connection: the timed request pays no connect
                    long t0 = System.nanoTime();
                    LoopbackHttp.Response first = http.send(get);
                    long t1 = System.nanoTime();
                    LoopbackHttp.Response second = http.send(get);
                    long t2 = System.nanoTime();
                    if (first.status() != 200 || second.status() != 200) {
                        throw new IOException(route + " answered " + first.status() + " then " + second.status());
                    }
                    cold.get(route).recordValue(t1 - t0);
                    warmH.get(route).recordValue(t2 - t1);
                }
            }
        }
        List<String[]> rows = new ArrayList<>();
        for (String route : cold.keySet()) {
            Histogram c = cold.get(route);
            Histogram w = warmH.get(route);
            rows.add(new String[] {route, Long.toString(c.getTotalCount()), f3(ms(c.getValueAtPercentile(50))),
                f3(ms(c.getValueAtPercentile(90))), f3(ms(c.getMaxValue())), f3(ms(w.getValueAtPercentile(50))),
                f3(ms(w.getMaxValue()))});
        }
        table(new String[] {"route", "cold starts", "first request p50 ms", "p90 ms", "max ms", "second request p50 ms",
            "max ms"}, rows);
        String metrics = fetch(rf, "/metrics");
        for (String line : metrics.split("\n")) {
            if (line.startsWith("ringfence_cold_starts_total") || line.startsWith("ringfence_last_cold_start_seconds")) {
                System.out.println("    " + line);
            }
        }
        System.out.printf(Locale.ROOT, "%nload average at start %s%n", la);
        serverNotes(rf);
    }

    /**
     * The overload figure's client against trivial answers, to see the tail the client and the JDK's
     * server have without a route's pipeline: open loop at {@code --rate} (700, about what overload
     * rejects) from 64 connections, against the plain JDK server's hello and ringfence's hello route
     * (side by side, plain first).
     */
    private void openLoop() throws Exception {
        int conns = intOpt("connections", 64);
        double rate = Double.parseDouble(opts.getOrDefault("rate", "700"));
        long warm = secondsOpt("warmup", 5);
        long measure = secondsOpt("seconds", 20);
        Path routes = Files.createDirectories(work.resolve("routes"));
        sampleRoute(routes, "hello", "handler=dev.ringfence.samples.Hello\nmaxInflight=64\nmaxQueue=64\n");
        ChildServer plain = startPlain();
        ChildServer rf = startServe(routes);
        check(plain, "/hello?name=ada", "hello, ada");
        check(rf, "/fn/hello?name=ada", "hello, ada");
        System.out.printf(Locale.ROOT, "openloop: %.0f req/s open loop from %d connections, %d s warm-up + %d s, plain then"
                + " ringfence%n%n", rate, conns, warm / 1000, measure / 1000);
        List<String[]> rows = new ArrayList<>();
        for (ChildServer server : List.of(plain, rf)) {
            String la = loadAverage();
            String path = server == plain ? "/hello?name=ada" : "/fn/hello?name=ada";
            LoadRun.Result r = LoadRun.run(server.address(), path, conns, rate, warm, measure, 10_000, null);
            Histogram h = r.all();
            long over5 = h.getTotalCount() - h.getCountBetweenValues(0, TimeUnit.MILLISECONDS.toNanos(5));
            rows.add(new String[] {server == plain ? "plain HttpServer" : "ringfence serve", Long.toString(h.getTotalCount()),
                f3(ms(h.getValueAtPercentile(50))), f3(ms(h.getValueAtPercentile(99))), f3(ms(h.getValueAtPercentile(99.9))),
                f3(ms(h.getMaxValue())), Long.toString(over5), Long.toString(r.errors), la});
        }
        table(new String[] {"server", "requests", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "over 5 ms", "errors",
            "load avg at start"}, rows);
    }

    /** Waits (at most 20 s) until {@code /status} shows the route parked. */
    private static void awaitParked(ChildServer rf, String route) throws IOException, InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Pattern parked = Pattern.compile("\\{\"name\":\"" + route + "\"[^{}]*\"parked\":true");
        while (!parked.matcher(fetch(rf, "/status")).find()) {
            if (System.nanoTime() > until) {
                throw new IOException("route " + route + " was not parked within 20 s");
            }
            Thread.sleep(100);
        }
    }

    /** A route with every jar of one of the samples' route folders (the handler's classpath, dependencies included). */
    private void sampleRouteFrom(Path routes, String name, String properties, String sampleFolder) throws IOException {
        Path samples = Path.of(opts.getOrDefault("samples", "samples/target/routes")).resolve(sampleFolder);
        Path folder = Files.createDirectories(routes.resolve(name));
        try (var s = Files.list(samples)) {
            for (Path jar : s.filter(p -> p.getFileName().toString().endsWith(".jar")).toList()) {
                Files.copy(jar, folder.resolve(jar.getFileName()));
            }
        }
        Files.writeString(folder.resolve("route.properties"), properties);
    }

    private void sampleRoute(Path routes, String name, String properties) throws IOException {
        Path samples = Path.of(opts.getOrDefault("samples", "samples/target/routes"));
        Path jar;
        try (var s = Files.list(samples.resolve("hello"))) {
            jar = s.filter(p -> p.getFileName().toString().endsWith(".jar")).findFirst()
                    .orElseThrow(() -> new IOException("no samples jar in " + samples.resolve("hello")));
        }
        Path folder = Files.createDirectories(routes.resolve(name));
        Files.copy(jar, folder.resolve(jar.getFileName()));
        Files.writeString(folder.resolve("route.properties"), properties);
    }

    private static void check(ChildServer s, String path, String body) throws IOException {
        try (LoopbackHttp http = new LoopbackHttp(s.address(), 30_000)) {
            LoopbackHttp.Response r = http.send(http.get(path));
            if (r.status() != 200 || !r.bodyText().equals(body)) {
                throw new IOException("GET " + path + " answered " + r.status() + " " + r.bodyText() + ", not " + body);
            }
        }
    }

    private static String fetch(ChildServer s, String path) throws IOException {
        try (LoopbackHttp http = new LoopbackHttp(s.address(), 30_000)) {
            return http.send(http.get(path)).bodyText();
        }
    }

    /** The JVM and loader figures of {@code /status}. */
    static Map<String, Long> jvm(ChildServer s) throws IOException {
        return numbers(fetch(s, "/status"), "heapUsedBytes", "metaspaceUsedBytes", "loadedClasses", "alive", "unloaded",
                "leaked");
    }

    static Map<String, Long> numbers(String json, String... keys) throws IOException {
        Map<String, Long> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile(String.format(NUMBER_FIELD.pattern(), String.join("|", keys))).matcher(json);
        while (m.find()) {
            out.putIfAbsent(m.group(1), Long.parseLong(m.group(2)));
        }
        for (String k : keys) {
            if (!out.containsKey(k)) {
                throw new IOException("no " + k + " in " + json);
            }
        }
        return out;
    }

    /**
     * Full GCs until the count of loaders alive stops falling (at most 15 s), then the figures:
     * retired versions are closed once their requests finish and collected by a GC after that.
     */
    private static Map<String, Long> settledJvm(ChildServer s) throws IOException, InterruptedException {
        Map<String, Long> last = null;
        for (int i = 0; i < 10; i++) {
            s.fullGc();
            Thread.sleep(1500);
            Map<String, Long> now = jvm(s);
            if (last != null && now.get("alive").equals(last.get("alive")) && now.get("unloaded").equals(last.get("unloaded"))) {
                s.fullGc();
                Thread.sleep(500);
                return jvm(s);
            }
            last = now;
        }
        return last;
    }

    private static void serverNotes(ChildServer s) {
        System.out.println();
        System.out.println("server log lines by event: " + eventCounts(s.log()));
    }

    private static Map<String, Integer> eventCounts(Path log) {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        Matcher m = Pattern.compile("\"event\":\"([a-z-]+)\"").matcher(ChildServer.tail(log, Integer.MAX_VALUE));
        while (m.find()) {
            counts.merge(m.group(1), 1, Integer::sum);
        }
        return counts;
    }

    // ---------------------------------------------------------------- output

    private static String[] row(String a, String b, LoadRun.Result r, int okStatus, double serverCpuPerReq,
            double clientCpuPerReq, long wrong, String la) {
        Histogram h = r.service.getOrDefault(okStatus, LoadRun.histogram());
        return new String[] {a, b, Long.toString(r.count()), f1(r.count() / r.seconds), f3(ms(h.getValueAtPercentile(50))),
            f3(ms(h.getValueAtPercentile(99))), f3(ms(h.getMaxValue())), Long.toString(r.countOther(okStatus)),
            Long.toString(r.errors), Double.isNaN(serverCpuPerReq) ? "" : f1(serverCpuPerReq / 1000),
            Double.isNaN(clientCpuPerReq) ? "" : f1(clientCpuPerReq / 1000), Long.toString(wrong), la};
    }

    static void table(String[] header, List<String[]> rows) {
        StringBuilder sb = new StringBuilder("| ").append(String.join(" | ", header)).append(" |\n|");
        for (int i = 0; i < header.length; i++) {
            sb.append(i < 2 ? "---|" : "---:|");
        }
        sb.append('\n');
        for (String[] r : rows) {
            sb.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        System.out.print(sb);
    }

    private static String outcomeName(int status) {
        return switch (status) {
            case 200 -> "200 admitted";
            case 503 -> "503 rejected";
            case 504 -> "504 timeout";
            case 500 -> "500 error/budget";
            default -> Integer.toString(status);
        };
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    static double ms(double nanos) {
        return nanos / 1e6;
    }

    private static double mb(long bytes) {
        return bytes / 1048576.0;
    }

    private static String f1(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String f3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static long parseMillis(String d) {
        if (d.endsWith("ms")) {
            return Long.parseLong(d.substring(0, d.length() - 2));
        }
        if (d.endsWith("s")) {
            return Long.parseLong(d.substring(0, d.length() - 1)) * 1000;
        }
        return Long.parseLong(d);
    }

    private int intOpt(String key, int dflt) {
        return Integer.parseInt(opts.getOrDefault(key, Integer.toString(dflt)));
    }

    private long secondsOpt(String key, long dflt) {
        return Long.parseLong(opts.getOrDefault(key, Long.toString(dflt))) * 1000;
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }
}
