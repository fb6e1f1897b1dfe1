package dev.ringfence.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The pause an attach causes on a busy host: the sample plugin service in a JVM of its own takes
 * an open-loop load of {@code GET /plugin/greeting} (the call the attach then budgets), and the
 * latency of its requests is compared over windows of equal length: before the attach, the window
 * in which {@code attach} runs (a second into it, from a separate CLI process as a user runs it),
 * with the budget in force, and the window in which {@code detach} runs; then attach, attached and
 * detach once more (the first redefinition in a JVM costs more than later ones). Latency is measured
 * from when each request was due, so a pause shows in every request it delays.
 *
 * <pre>
 * java -cp benchmarks/target/ringfence-benchmarks.jar dev.ringfence.benchmarks.AttachLoad [--rate 400]
 *     [--clients 4] [--window 10] [--agent agent/target/ringfence-agent.jar]
 *     [--samples samples/target/ringfence-samples-0.1.0-SNAPSHOT.jar] [--api api/target/ringfence-api-0.1.0-SNAPSHOT.jar]
 * </pre>
 * Run from the repository root after {@code mvn package}.
 */
public final class AttachLoad {
    private static final String SETTINGS_METHODS = "budget.plugins.methods=dev.ringfence.samples.service.Plugins#run";
    private static final String SETTINGS_INSTRUMENT = "budget.plugins.instrument=dev.ringfence.samples.service.plugins.**";

    private final Map<String, String> opts;

    private AttachLoad(Map<String, String> opts) {
        this.opts = opts;
    }

    /**
     * Runs the four windows and prints their latencies.
     *
     * @param args {@code --key value} options
     * @throws Exception when the service does not start or a step fails
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        System.out.printf(Locale.ROOT, "AttachLoad, %s, java %s, %d CPUs, load average %s%n%n", Instant.now(),
                System.getProperty("java.runtime.version"), Runtime.getRuntime().availableProcessors(), ServeLoad.loadAverage());
        new AttachLoad(opts).run();
    }

    private void run() throws Exception {
        Path agent = existing("agent", "agent/target/ringfence-agent.jar");
        Path samples = existing("samples", "samples/target/ringfence-samples-0.1.0-SNAPSHOT.jar");
        Path api = existing("api", "api/target/ringfence-api-0.1.0-SNAPSHOT.jar");
        double rate = Double.parseDouble(opts.getOrDefault("rate", "400"));
        int clients = Integer.parseInt(opts.getOrDefault("clients", "4"));
        long window = TimeUnit.SECONDS.toMillis(Long.parseLong(opts.getOrDefault("window", "10")));
        Path log = Files.createTempFile("attach-load", ".log");
        try (ChildServer service = ChildServer.start("plugin service", List.of(ChildServer.java(), "-Xmx256m",
                "-Dsun.net.httpserver.nodelay=true", "-cp", samples + java.io.File.pathSeparator + api,
                "dev.ringfence.samples.service.PluginService"), Map.of(), log, Duration.ofSeconds(60))) {
            String pid = Long.toString(service.pid());
            List<String[]> rows = new ArrayList<>();
            rows.add(row("before", measure(service, rate, clients, 5_000, window, null)));
            List<String> took = new ArrayList<>();
            for (String round : new String[] {"first", "second"}) {
                rows.add(row(round + " attach runs", measure(service, rate, clients, 0, window, () -> took.add(round
                        + " attach CLI: " + cli(agent, "attach", pid, SETTINGS_METHODS, "budget.plugins.timeout=2s",
                        SETTINGS_INSTRUMENT)))));
                rows.add(row("attached", measure(service, rate, clients, 0, window, null)));
                rows.add(row(round + " detach runs", measure(service, rate, clients, 0, window, () -> took.add(round
                        + " detach CLI: " + cli(agent, "detach", pid)))));
            }
            System.out.printf(Locale.ROOT, "GET /plugin/greeting, open loop at %.0f/s over %d connections, %d s windows;"
                    + " latency from when each request was due, ms%n%n", rate, clients, window / 1000);
            System.out.println("| window | requests | errors | p50 | p99 | p99.9 | max |");
            System.out.println("|---|---:|---:|---:|---:|---:|---:|");
            rows.forEach(r -> System.out.println("| " + String.join(" | ", r) + " |"));
            System.out.println();
            took.forEach(System.out::println);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private Path existing(String key, String fallback) throws IOException {
        Path p = Path.of(opts.getOrDefault(key, fallback));
        if (!Files.isRegularFile(p)) {
            throw new IOException("no " + key + " jar at " + p.toAbsolutePath() + " (run from the repository root after"
                    + " mvn package, or pass --" + key + ")");
        }
        return p;
    }

    /** Runs one window; {@code during}, if any, starts a second into it on a thread of its own. */
    private static LoadRun.Result measure(ChildServer service, double rate, int clients, long warmupMillis, long windowMillis,
            Runnable during) throws InterruptedException {
        Thread step = null;
        if (during != null) {
            step = new Thread(() -> {
                try {
                    Thread.sleep(warmupMillis + 1_000);
                    during.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "attach-step");
            step.start();
        }
        LoadRun.Result r = LoadRun.run(service.address(), "/plugin/greeting", clients, rate, warmupMillis, windowMillis, 10_000,
                null);
        if (step != null) {
            step.join(TimeUnit.SECONDS.toMillis(120));
        }
        return r;
    }

    private static String[] row(String name, LoadRun.Result r) {
        Histogram h = LoadRun.histogram();
        r.fromDue.values().forEach(h::add);
        return new String[] {name, Long.toString(h.getTotalCount()), Long.toString(r.errors + r.countOther(200)),
            ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(99)), ms(h.getValueAtPercentile(99.9)),
            ms(h.getMaxValue())};
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.2f", nanos / 1e6);
    }

    /** Runs the CLI; returns its wall time and last line, or throws when it fails. */
    private static String cli(Path agent, String... args) {
        long start = System.nanoTime();
        String out = AgentCli.run(agent, args);
        String last = out.substring(out.lastIndexOf('\n') + 1);
        return String.format(Locale.ROOT, "%.0f ms (%s)", (System.nanoTime() - start) / 1e6, last);
    }
}
