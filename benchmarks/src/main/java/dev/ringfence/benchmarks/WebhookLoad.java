package dev.ringfence.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * The webhook-filter sample under the seed's load (issue 7): eight edge workers posting email
 * summaries at once, closed loop, for a minute, against {@code serve} on a copy of the samples
 * build's {@code webhook} route (a child JVM, SQLite in WAL mode). Reports phase 1 as the callers
 * see it — p50, p95, p99, p99.9, max of {@code POST /fn/webhook} and the throughput — then waits for
 * phase 2 and reports whether every decision reached the database ({@code total = decided}) and
 * what the deferred work did. A twentieth of the subjects repeat, so dynamic rules are made and hit
 * during the run; two static rules are in place. Run from the repository root after
 * {@code mvn -B -q -o -DskipTests package}:
 *
 * <pre>
 * java -cp benchmarks/target/ringfence-benchmarks.jar dev.ringfence.benchmarks.WebhookLoad [--clients 8]
 *     [--seconds 60] [--warmupSeconds 10] [--routes samples/target/routes] [--agent agent/target/ringfence-agent.jar]
 * </pre>
 */
public final class WebhookLoad {
    private WebhookLoad() {
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
        long seconds = Long.parseLong(opts.getOrDefault("seconds", "60"));
        long warmup = Long.parseLong(opts.getOrDefault("warmupSeconds", "10"));
        Path work = TempDirs.create("ringfence-webhook-load");
        Path routes = copyRoute(Path.of(opts.getOrDefault("routes", "samples/target/routes")).resolve("webhook"),
                work.resolve("routes"));
        Path agent = Path.of(opts.getOrDefault("agent", "agent/target/ringfence-agent.jar"));
        List<String> cmd = new ArrayList<>(List.of(ChildServer.java(), "-Xmx" + opts.getOrDefault("xmx", "512m"),
                "-Dsun.net.httpserver.nodelay=true", "-jar", agent.toString(), "serve", routes.toString(), "--port", "0"));
        try (ChildServer server = ChildServer.start("ringfence serve", cmd, Map.of("XDG_CACHE_HOME",
                Files.createDirectories(work.resolve("cache")).toString()), work.resolve("serve.log"), Duration.ofSeconds(90))) {
            InetSocketAddress address = server.address();
            try (LoopbackHttp admin = new LoopbackHttp(address, 30_000)) {
                admin.send(admin.postJson("/fn/webhook/rules", "{\"field\":\"from\",\"pattern\":\"spam.example\",\"action\":\"drop\"}"));
                admin.send(admin.postJson("/fn/webhook/rules",
                        "{\"workerId\":\"edge-3\",\"field\":\"subject\",\"pattern\":\"invoice\",\"action\":\"quarantine\"}"));
            }
            long start = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup);
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            List<Caller> callers = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                callers.add(new Caller(address, c, start, end));
            }
            callers.forEach(Thread::start);
            for (Caller c : callers) {
                c.join(TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()) + 60_000);
            }
            Histogram all = LoadRun.histogram();
            long errors = 0;
            String firstError = null;
            for (Caller c : callers) {
                all.add(c.latency);
                errors += c.errors;
                firstError = firstError != null ? firstError : c.firstError;
            }
            System.out.printf(Locale.ROOT, "phase 1, %d callers, %d s: %d requests, %.0f req/s, p50 %.3f ms, p95 %.3f ms,"
                    + " p99 %.3f ms, p99.9 %.3f ms, max %.3f ms, errors %d%s%n", clients, seconds, all.getTotalCount(),
                    all.getTotalCount() / (double) seconds, DeferLoad.ms(all.getValueAtPercentile(50)),
                    DeferLoad.ms(all.getValueAtPercentile(95)), DeferLoad.ms(all.getValueAtPercentile(99)),
                    DeferLoad.ms(all.getValueAtPercentile(99.9)), DeferLoad.ms(all.getMaxValue()), errors,
                    firstError == null ? "" : " (first: " + firstError + ")");
            report(address);
        } catch (IOException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        }
    }

    /** Waits (60 s at most) until phase 2 has recorded every decision, then prints the stats and deferred work. */
    private static void report(InetSocketAddress address) throws IOException, InterruptedException {
        try (LoopbackHttp http = new LoopbackHttp(address, 30_000)) {
            String stats = "";
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < until) {
                stats = http.send(http.get("/fn/webhook/stats")).bodyText();
                if (field(stats, "total") == field(stats, "decided")) {
                    break;
                }
                Thread.sleep(200);
            }
            System.out.println("stats: " + stats);
            String m = http.send(http.get("/metrics")).bodyText();
            System.out.printf(Locale.ROOT, "deferred: accepted %d, ran OK %d, failed %d, rejected %d, dropped %d,"
                    + " batches %d of %d items%n", DeferLoad.metric(m, "ringfence_deferred_accepted_total{route=\"webhook\"}"),
                    DeferLoad.metric(m, "ringfence_deferred_total{route=\"webhook\",outcome=\"OK\"}"),
                    DeferLoad.metric(m, "ringfence_deferred_batch_items_failed_total{route=\"webhook\"}"),
                    DeferLoad.metric(m, "ringfence_deferred_total{route=\"webhook\",outcome=\"REJECTED\"}"),
                    DeferLoad.metric(m, "ringfence_deferred_total{route=\"webhook\",outcome=\"DROPPED\"}"),
                    DeferLoad.metric(m, "ringfence_deferred_batch_items_count{route=\"webhook\"}"),
                    DeferLoad.metric(m, "ringfence_deferred_batch_items_sum{route=\"webhook\"}"));
        }
    }

    private static long field(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** The webhook route alone, without a database a previous run left, in a routes directory of its own. */
    private static Path copyRoute(Path route, Path routes) throws IOException {
        Path to = routes.resolve("webhook");
        List<Path> files;
        try (Stream<Path> all = Files.walk(route)) {
            files = all.filter(Files::isRegularFile).filter(p -> !route.relativize(p).startsWith("data")).toList();
        }
        for (Path p : files) {
            Path target = to.resolve(route.relativize(p).toString());
            Files.createDirectories(target.getParent());
            Files.copy(p, target);
        }
        return routes;
    }

    /** One edge worker: posts email summaries one after another on a kept-alive connection. */
    private static final class Caller extends Thread {
        private final LoopbackHttp http;
        private final int id;
        private final long start;
        private final long end;
        final Histogram latency = LoadRun.histogram();
        long errors;
        String firstError;

        Caller(InetSocketAddress address, int id, long start, long end) {
            super("edge-" + id);
            setDaemon(true);
            this.http = new LoopbackHttp(address, 30_000);
            this.id = id;
            this.start = start;
            this.end = end;
        }

        @Override
        public void run() {
            long n = 0;
            while (true) {
                long sent = System.nanoTime();
                if (sent >= end) {
                    break;
                }
                n++;
                // a twentieth repeat one of a few subjects (dynamic rules), every fiftieth comes from spam
                String subject = n % 20 == 0 ? "Weekly digest " + (n % 7) : "Order " + letters(n * 31 + id) + " shipped";
                String from = n % 50 == 0 ? "promo@spam.example" : "shop" + id + "@ok.example";
                String body = "{\"workerId\":\"edge-" + id + "\",\"from\":\"" + from + "\",\"to\":\"user" + (n % 100)
                        + "@example.org\",\"subject\":\"" + subject + "\",\"messageId\":\"<" + id + "." + n + "@edge>\"}";
                try {
                    LoopbackHttp.Response r = http.send(http.postJson("/fn/webhook", body));
                    long done = System.nanoTime();
                    if (r.status() != 200) {
                        throw new IOException("status " + r.status() + ": " + r.bodyText());
                    }
                    if (sent >= start) {
                        latency.recordValue(Math.min(done - sent, latency.getHighestTrackableValue()));
                    }
                } catch (IOException | RuntimeException e) {
                    if (sent >= start) {
                        errors++;
                        firstError = firstError != null ? firstError : e.toString();
                    }
                }
            }
            http.close();
        }

        /** Letters only: a subject's digits are folded when it is hashed, letters keep subjects apart. */
        private static String letters(long x) {
            StringBuilder b = new StringBuilder();
            for (long v = x; v > 0; v /= 26) {
                b.append((char) ('a' + v % 26));
            }
            return b.toString();
        }
    }
}
