package dev.ringfence.benchmarks;

import dev.ringfence.benchmarks.fixtures.Tally;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * Phase-1 latency with and without deferred work (issue 7), over loopback against one
 * {@code serve} in a process of its own: routes {@code none}, {@code defer} and {@code batch} of
 * {@link Tally}, driven in rounds that alternate the three, closed loop. Afterwards the server's
 * {@code /metrics} says whether every deferred piece ran (accepted = ran, none dropped), and its
 * lag. Run from the repository root after {@code mvn -B -q -o -DskipTests package}:
 *
 * <pre>
 * java -cp benchmarks/target/ringfence-benchmarks.jar dev.ringfence.benchmarks.DeferLoad [--clients 8]
 *     [--rounds 3] [--warmupMs 2000] [--measureMs 5000] [--agent agent/target/ringfence-agent.jar] [--xmx 512m]
 * </pre>
 */
public final class DeferLoad {
    private static final List<String> MODES = List.of("none", "defer", "batch");

    private DeferLoad() {
    }

    /**
     * @param args {@code --key value} options
     * @throws Exception when the server does not start or a run fails
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int clients = Integer.parseInt(opts.getOrDefault("clients", "8"));
        int rounds = Integer.parseInt(opts.getOrDefault("rounds", "3"));
        long warmup = Long.parseLong(opts.getOrDefault("warmupMs", "2000"));
        long measure = Long.parseLong(opts.getOrDefault("measureMs", "5000"));
        Path work = TempDirs.create("ringfence-defer-load");
        Path jar = HandlerJars.write(Files.createDirectories(work.resolve("jar")), "tally.jar", "tally", Tally.class);
        Path routes = Files.createDirectories(work.resolve("routes"));
        for (String m : MODES) {
            Path folder = Files.createDirectories(routes.resolve(m));
            Files.copy(jar, folder.resolve("tally.jar"));
            Files.writeString(folder.resolve("route.properties"), "handler=" + Tally.class.getName()
                    + "\nisolation=in-process\nmaxInflight=64\npool.min=" + clients + "\n");
        }
        Path agent = Path.of(opts.getOrDefault("agent", "agent/target/ringfence-agent.jar"));
        List<String> cmd = new ArrayList<>(List.of(ChildServer.java(), "-Xmx" + opts.getOrDefault("xmx", "512m"),
                "-Dsun.net.httpserver.nodelay=true", "-jar", agent.toString(), "serve", routes.toString(), "--port", "0"));
        Map<String, LoadRun.Result> all = new LinkedHashMap<>();
        try (ChildServer server = ChildServer.start("ringfence serve", cmd, Map.of("XDG_CACHE_HOME",
                Files.createDirectories(work.resolve("cache")).toString()), work.resolve("serve.log"), Duration.ofSeconds(60))) {
            for (int r = 0; r < rounds; r++) {
                for (String m : MODES) {
                    LoadRun.Result res = LoadRun.run(server.address(), "/fn/" + m + "?mode=" + m, clients, 0, warmup, measure,
                            10_000, null);
                    all.computeIfAbsent(m, k -> new LoadRun.Result()).add(res);
                }
            }
            System.out.printf(Locale.ROOT, "%-6s %10s %9s %9s %9s %9s %7s%n", "mode", "req/s", "p50 ms", "p99 ms", "p99.9 ms",
                    "max ms", "errors");
            for (Map.Entry<String, LoadRun.Result> e : all.entrySet()) {
                LoadRun.Result res = e.getValue();
                Histogram h = res.all();
                System.out.printf(Locale.ROOT, "%-6s %10.0f %9.3f %9.3f %9.3f %9.3f %7d%n", e.getKey(),
                        h.getTotalCount() / res.seconds, ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(99)),
                        ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()), res.errors);
            }
            Thread.sleep(3000); // the last linger and queue
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://"
                    + server.address().getHostString() + ":" + server.address().getPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            for (String m : List.of("defer", "batch")) {
                long accepted = metric(metrics, "ringfence_deferred_accepted_total{route=\"" + m + "\"}");
                long ok = metric(metrics, "ringfence_deferred_total{route=\"" + m + "\",outcome=\"OK\"}");
                long rejected = metric(metrics, "ringfence_deferred_total{route=\"" + m + "\",outcome=\"REJECTED\"}");
                long dropped = metric(metrics, "ringfence_deferred_total{route=\"" + m + "\",outcome=\"DROPPED\"}");
                double lagSum = number(metrics, "ringfence_deferred_lag_seconds_sum{route=\"" + m + "\"}");
                long lagCount = metric(metrics, "ringfence_deferred_lag_seconds_count{route=\"" + m + "\"}");
                long items = metric(metrics, "ringfence_deferred_batch_items_sum{route=\"" + m + "\"}");
                System.out.printf(Locale.ROOT, "%s: accepted %d, ran OK %d, rejected %d, dropped %d, mean lag %.3f ms,"
                        + " batch items %d%n", m, accepted, ok, rejected, dropped, lagCount == 0 ? 0 : lagSum / lagCount * 1e3,
                        items);
            }
        } catch (IOException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        }
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    static long metric(String text, String line) {
        return (long) number(text, line);
    }

    static double number(String text, String line) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(line) + " (\\S+)").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }
}
