package dev.ringfence.benchmarks;

import dev.ringfence.benchmarks.fixtures.Echo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Invocation overhead of the Lambda runtime API (issue 5): the same echo, side by side in one
 * {@code serve}, as a bash bootstrap and a Python bootstrap ({@code runtime=provided}, the samples'
 * {@code bash-echo} and {@code python-echo}), as a Java handler in a warm child JVM
 * ({@code isolation=process}) and in-process ({@code isolation=in-process}). Closed loop over
 * loopback, rounds alternating the routes. Run from the repository root after
 * {@code mvn -B -q -o -DskipTests package}:
 *
 * <pre>
 * java -cp benchmarks/target/ringfence-benchmarks.jar dev.ringfence.benchmarks.ProvidedLoad [--key value…]
 * </pre>
 *
 * <p>Options: {@code --connections} (1), {@code --rounds} (3), {@code --warmup} and {@code --seconds}
 * per round (3 and 10), {@code --agent}, {@code --samples}, {@code --xmx} (512m).
 */
public final class ProvidedLoad {
    private ProvidedLoad() {
    }

    /**
     * @param args {@code --key value} options
     * @throws Exception when the server does not start or a run fails
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int conns = Integer.parseInt(opts.getOrDefault("connections", "1"));
        int rounds = Integer.parseInt(opts.getOrDefault("rounds", "3"));
        long warm = Long.parseLong(opts.getOrDefault("warmup", "3")) * 1000;
        long measure = Long.parseLong(opts.getOrDefault("seconds", "10")) * 1000;
        Path agent = Path.of(opts.getOrDefault("agent", "agent/target/ringfence-agent.jar"));
        Path samples = Path.of(opts.getOrDefault("samples", "samples/target/routes"));
        Path work = TempDirs.create("ringfence-provided-load");
        Path routes = Files.createDirectories(work.resolve("routes"));
        String pool = "maxInflight=" + Math.max(conns, 2) + "\npool.min=" + conns + "\npool.max=" + Math.max(conns, 2)
                + "\nidle=0\ntimeout=10s\n";
        copyFolder(samples.resolve("bash-echo"), routes.resolve("bash"), "runtime=provided\n" + pool);
        copyFolder(samples.resolve("python-echo"), routes.resolve("python"), "runtime=provided\nhandler=function.handler\n" + pool);
        for (String tier : List.of("process", "in-process")) {
            Path folder = Files.createDirectories(routes.resolve("java-" + tier));
            HandlerJars.write(folder, "echo.jar", "echo", Echo.class);
            Files.writeString(folder.resolve("route.properties"), "handler=" + Echo.class.getName() + "\nisolation=" + tier
                    + "\nheap=64m\n" + pool);
        }
        System.out.printf(Locale.ROOT, "ProvidedLoad, %s, java %s, %d CPUs, %d connection(s), %d round(s) of %d s warm-up"
                + " + %d s per route, work dir %s%n%n", Instant.now(), System.getProperty("java.runtime.version"),
                Runtime.getRuntime().availableProcessors(), conns, rounds, warm / 1000, measure / 1000, work);
        List<String> cmd = List.of(ChildServer.java(), "-Xmx" + opts.getOrDefault("xmx", "512m"),
                "-Dsun.net.httpserver.nodelay=true", "-jar", agent.toString(), "serve", routes.toString(), "--port", "0");
        try (ChildServer server = ChildServer.start("ringfence serve", cmd, Map.of(), work.resolve("serve.log"),
                Duration.ofSeconds(60))) {
            List<String> names = List.of("bash", "python", "java-process", "java-in-process");
            Map<String, LoadRun.Result> all = new LinkedHashMap<>();
            List<String[]> rows = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                for (String name : names) {
                    LoadRun.Result r = LoadRun.run(server.address(), "/fn/" + name + "?n=1", conns, 0, warm, measure,
                            10_000, null);
                    all.computeIfAbsent(name, k -> new LoadRun.Result()).add(r);
                    rows.add(row(Integer.toString(round), name, r));
                }
            }
            all.forEach((name, r) -> rows.add(row("all", name, r)));
            ServeLoad.table(new String[] {"round", "route", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "not 200",
                "errors"}, rows);
        }
        System.out.println();
        System.out.println("logs in " + work);
    }

    private static void copyFolder(Path from, Path to, String properties) throws java.io.IOException {
        Files.createDirectories(to);
        try (var s = Files.list(from)) {
            for (Path p : s.filter(p -> !p.getFileName().toString().equals("route.properties")).toList()) {
                Files.copy(p, to.resolve(p.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        Files.writeString(to.resolve("route.properties"), properties);
    }

    private static String[] row(String round, String route, LoadRun.Result r) {
        Histogram h = r.service.getOrDefault(200, LoadRun.histogram());
        return new String[] {round, route, Long.toString(r.count()), String.format(Locale.ROOT, "%.1f", r.count() / r.seconds),
            ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(99)), ms(h.getMaxValue()),
            Long.toString(r.countOther(200)), Long.toString(r.errors)};
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }
}
