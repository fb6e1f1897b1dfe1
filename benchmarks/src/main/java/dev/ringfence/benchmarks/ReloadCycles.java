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
import dev.ringfence.loader.HandlerVersions;
import dev.ringfence.loader.LoadOptions;
import dev.ringfence.loader.UnloadWatch;
import dev.ringfence.loader.VersionInfo;
import dev.ringfence.loader.VersionListener;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hot reload, many times: each cycle swaps the route to a new version (two jars with different
 * content, alternating), creates the handler and answers one request on it. Prints Metaspace used
 * and the loaded-class count after a full GC before and after, and how many old versions were
 * proven collected or reported as leaks.
 *
 * <p>Run: {@code java -Dringfence.allowUngated=true --add-opens java.base/java.lang=ALL-UNNAMED
 * -cp benchmarks/target/ringfence-benchmarks.jar dev.ringfence.benchmarks.ReloadCycles [cycles [guarded|counting]]}
 */
public final class ReloadCycles {
    private ReloadCycles() {
    }

    /**
     * @param args optional number of cycles (default 10000), then optionally {@code counting} to
     *     load the versions with counting probes instead of guarded ones
     * @throws Exception when a reload fails
     */
    public static void main(String[] args) throws Exception {
        int cycles = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        Metering metering = args.length > 1 && args[1].equals("counting") ? Metering.COUNT : Metering.GUARD;
        Path dir = TempDirs.create("ringfence-reload");
        List<Path> a = List.of(HandlerJars.write(dir, "a.jar", "a", TinyHandler.class));
        List<Path> b = List.of(HandlerJars.write(dir, "b.jar", "b", TinyHandler.class));
        AtomicLong unloaded = new AtomicLong();
        AtomicLong leaked = new AtomicLong();
        VersionListener listener = new VersionListener() {
            @Override
            public void onLoaded(String route, VersionInfo loaded, VersionInfo replaced) {
            }

            @Override
            public void onUnloaded(String route, VersionInfo version, long nanosToCollection) {
                unloaded.incrementAndGet();
            }

            @Override
            public void onLeaked(String route, VersionInfo version, long nanosSinceClose, String cause) {
                if (leaked.incrementAndGet() <= 3) {
                    System.err.println("leak: " + version.shortId() + ": " + cause);
                }
            }
        };
        MeteredExecutor executor = new MeteredExecutor("reload", 20_000_000L, 0);
        Budgets budgets = new Budgets(2_000_000_000L, 0, 0, 0);
        Request request = Request.builder("reload").build();
        try (UnloadWatch watch = new UnloadWatch(Duration.ofSeconds(30), 3);
                HandlerVersions route = new HandlerVersions("tiny", LoadOptions.of(Policy.DENY_ALL).withMetering(metering), watch,
                        listener)) {
            // warm up: enough cycles that the JIT, the JDK's own caches and the watch settle
            for (int i = 0; i < 200; i++) {
                cycle(route, i % 2 == 0 ? a : b, executor, budgets, request);
            }
            long[] before = settle();
            for (int i = 0; i < cycles; i++) {
                cycle(route, i % 2 == 0 ? a : b, executor, budgets, request);
            }
            long[] after = settle();
            System.out.printf("reload cycles=%d probes=%s%n", cycles, metering);
            System.out.printf("metaspace used after full GC: before=%.2f MB after=%.2f MB delta=%+.2f MB%n",
                    before[0] / 1048576.0, after[0] / 1048576.0, (after[0] - before[0]) / 1048576.0);
            System.out.printf("loaded classes after full GC: before=%d after=%d delta=%+d%n", before[1], after[1],
                    after[1] - before[1]);
            System.out.printf("total classes unloaded by the JVM=%d%n",
                    ManagementFactory.getClassLoadingMXBean().getUnloadedClassCount());
            System.out.printf("versions proven collected=%d leaks reported=%d%n", unloaded.get(), leaked.get());
        }
        System.exit(0);
    }

    private static void cycle(HandlerVersions route, List<Path> jar, MeteredExecutor executor, Budgets budgets,
            Request request) throws Exception {
        route.reload(jar);
        try (HandlerVersions.Lease lease = route.acquire()) {
            HandlerVersion v = lease.version();
            RunResult<Handler> h = executor.run(budgets, v.policy(), v.classLoader(),
                    () -> v.newHandler(TinyHandler.class.getName()));
            RunResult<Response> r = executor.run(budgets, v.policy(), v.classLoader(),
                    () -> h.value().handle(request, QuietContext.INSTANCE));
            if (r.outcome() != Outcome.OK) {
                throw new IllegalStateException("ended " + r.outcome() + ": " + r.message());
            }
        }
    }

    /** Full GCs until Metaspace stops shrinking; returns {metaspace used, loaded classes}. */
    private static long[] settle() throws InterruptedException {
        long last = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            Thread.sleep(200);
            long now = metaspaceUsed();
            if (now >= last) {
                break;
            }
            last = now;
        }
        return new long[] {metaspaceUsed(), ManagementFactory.getClassLoadingMXBean().getLoadedClassCount()};
    }

    private static long metaspaceUsed() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getName().equals("Metaspace")) {
                return p.getUsage().getUsed();
            }
        }
        throw new IllegalStateException("no Metaspace pool");
    }
}
