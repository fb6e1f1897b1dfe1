package dev.ringfence.benchmarks;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import dev.ringfence.benchmarks.fixtures.TinyHandler;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.Metering;
import dev.ringfence.limiter.Policy;
import dev.ringfence.limiter.RunResult;
import dev.ringfence.loader.HandlerVersion;
import dev.ringfence.loader.InstrumentMode;
import dev.ringfence.loader.InstrumentedClassCache;
import dev.ringfence.loader.LoadOptions;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Cold load of a small handler version — read the jar, make its class loader, instrument (or read
 * the cache), create the handler in the sandbox, answer the first request — uncached and cached,
 * alternating in one run so both see the same machine. Prints p50/p90/p99 in milliseconds. A
 * cached load finds the jar's content id, its instrumented classes and its bundle in the cache;
 * an uncached one inflates, hashes and instruments everything.
 *
 * <p>Run: {@code java -Dringfence.allowUngated=true -cp benchmarks/target/ringfence-benchmarks.jar
 * dev.ringfence.benchmarks.ColdLoad [rounds [JAR HANDLER_CLASS]]} (a jar given: every class instrumented at
 * load), or {@code … ColdLoad --fresh [n]} for the first load in fresh JVMs
 */
public final class ColdLoad {
    private static String handlerClass = TinyHandler.class.getName();

    private ColdLoad() {
    }

    /**
     * @param args optional number of measured rounds (default 400)
     * @throws Exception when a load fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--fresh")) {
            fresh(args.length > 1 ? Integer.parseInt(args[1]) : 21);
            return;
        }
        if (args.length > 0 && args[0].equals("--first")) {
            first(Path.of(args[1]), args[2].equals("none") ? null : Path.of(args[2]));
            return;
        }
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        int warmup = rounds / 2;
        Path dir = TempDirs.create("ringfence-coldload");
        Path jar = HandlerJars.write(dir, "tiny.jar", "v1", TinyHandler.class);
        String handler = TinyHandler.class.getName();
        InstrumentMode mode = InstrumentMode.ON_DEMAND;
        if (args.length > 2) {
            // another version: a jar and its handler class, every class instrumented at load
            jar = Path.of(args[1]);
            handler = args[2];
            mode = InstrumentMode.AT_LOAD;
        }
        handlerClass = handler;
        InstrumentedClassCache cache = new InstrumentedClassCache(dir.resolve("cache"), 64L << 20);
        MeteredExecutor executor = new MeteredExecutor("cold", 20_000_000L, 0);
        Budgets budgets = new Budgets(2_000_000_000L, 0, 0, 0);
        // -Dcoldload.metering=guard measures the probes of routes without a fuel budget
        Metering metering = "guard".equals(System.getProperty("coldload.metering")) ? Metering.GUARD : Metering.COUNT;
        LoadOptions plain = LoadOptions.of(Policy.DENY_ALL).withMode(mode).withMetering(metering);
        once(jar, plain.withCache(cache), executor, budgets); // warms the cache
        long[] uncached = new long[rounds];
        long[] cached = new long[rounds];
        for (int i = -warmup; i < rounds; i++) {
            long u = once(jar, plain, executor, budgets);
            long c = once(jar, plain.withCache(cache), executor, budgets);
            if (i >= 0) {
                uncached[i] = u;
                cached[i] = c;
            }
        }
        System.out.println("cold load of " + jar.getFileName() + " (" + mode + "; loader, instrumentation, handler creation,"
                + " first call), " + rounds + " rounds after " + warmup + " warm-up rounds");
        print("uncached", uncached);
        print("cached", cached);
        System.out.printf("cache: per-class hits=%d misses=%d, version bundle hits=%d, content id record hits=%d%n",
                cache.hits(), cache.misses(), cache.bundleHits(), cache.contentIdHits());
        System.out.printf("ratio uncached/cached p50 = %.2f%n", (double) pct(uncached, 50) / pct(cached, 50));
        System.exit(0);
    }

    private static long once(Path jar, LoadOptions options, MeteredExecutor executor, Budgets budgets) throws Exception {
        long start = System.nanoTime();
        HandlerVersion v = HandlerVersion.load(List.of(jar), options);
        RunResult<Handler> h = executor.run(budgets, v.policy(), v.classLoader(),
                () -> v.newHandler(handlerClass));
        Request request = Request.builder("cold").build();
        RunResult<Response> r = executor.run(budgets, v.policy(), v.classLoader(),
                () -> h.value().handle(request, QuietContext.INSTANCE));
        long nanos = System.nanoTime() - start;
        if (r.outcome() != Outcome.OK) {
            throw new IllegalStateException("first call ended " + r.outcome() + ": " + r.message());
        }
        v.close();
        return nanos;
    }

    /**
     * The first version a fresh JVM loads: ASM, the loader and the sandbox are all cold. Runs
     * {@code n} child JVMs per mode, alternating, and prints the medians.
     */
    private static void fresh(int n) throws Exception {
        Path dir = TempDirs.create("ringfence-coldload");
        Path jar = HandlerJars.write(dir, "tiny.jar", "v1", TinyHandler.class);
        Path cacheDir = dir.resolve("cache");
        child(jar, cacheDir); // fills the cache
        long[] uncached = new long[n];
        long[] cached = new long[n];
        for (int i = 0; i < n; i++) {
            uncached[i] = child(jar, null);
            cached[i] = child(jar, cacheDir);
        }
        System.out.println("first version loaded in a fresh JVM (loader, instrumentation, handler creation, first call), "
                + n + " JVMs per mode");
        print("uncached", uncached);
        print("cached", cached);
        System.out.printf("ratio uncached/cached p50 = %.2f%n", (double) pct(uncached, 50) / pct(cached, 50));
        System.exit(0);
    }

    private static long child(Path jar, Path cacheDir) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dringfence.allowUngated=true", "-cp", System.getProperty("java.class.path"), ColdLoad.class.getName(),
                "--first", jar.toString(), cacheDir == null ? "none" : cacheDir.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("child failed: " + out);
        }
        return Long.parseLong(out.substring(out.lastIndexOf('\n') + 1).trim());
    }

    private static void first(Path jar, Path cacheDir) throws Exception {
        MeteredExecutor executor = new MeteredExecutor("cold", 20_000_000L, 0);
        Budgets budgets = new Budgets(10_000_000_000L, 0, 0, 0);
        LoadOptions options = LoadOptions.of(Policy.DENY_ALL);
        if (cacheDir != null) {
            options = options.withCache(new InstrumentedClassCache(cacheDir, 64L << 20));
        }
        System.out.println(once(jar, options, executor, budgets));
        System.exit(0);
    }

    static long pct(long[] values, int p) {
        long[] s = values.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1)];
    }

    private static void print(String name, long[] v) {
        System.out.printf("%-9s p50=%.3f ms  p90=%.3f ms  p99=%.3f ms%n", name, pct(v, 50) / 1e6, pct(v, 90) / 1e6,
                pct(v, 99) / 1e6);
    }
}
