package dev.ringfence.agent.process;

import dev.ringfence.agent.gates.Gates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * One {@link WorkerProcess}'s use of the {@link StartupCache}: which entry its next child starts
 * from, the training of a missing entry, and what became of both.
 *
 * <p>The first child of a version whose entry is missing starts plain; once it is ready, the entry
 * is made in the background ({@link StartupArchive#make}; trainings of the whole JVM run one at a
 * time on one daemon thread, so they never take more than one core from the host); later children
 * (replacements after a kill, a crash, a timeout) start from it. Any failure falls back to a plain
 * start and is reported, never thrown: a training that fails leaves the entry missing (reported);
 * a child that does not map the archive, or fails to start with it, has the entry marked bad
 * ({@link StartupCache#markBad}) and this worker's later children start plain.
 *
 * <p>A training is stopped ({@link #stopTraining}) when its worker closes for good (the version
 * replaced, the route removed, the server stopping), and outlives a worker closed because its
 * route parked (scale-to-zero), so that the next wake finds the entry: a training stopped at each
 * park started again at each wake and, once it took longer than a wake cycle, never ended and spent
 * a core for nothing ({@code ProcessPoolLoad zero}, BENCHMARKS.md 7.3). Each of its JVMs is bounded
 * by {@link StartupArchive#TRAINING_NANOS}; at the JVM's exit the training thread, a daemon, goes,
 * and its children stop by themselves (a worker child when its parent is gone, the recording JVM
 * once it has written its archive).
 *
 * <p>Thread-safe: called by the worker's supervisor (starts), its callers (readiness) and the
 * training thread; state is guarded by this object's monitor and no lock is held while training.
 */
final class CachedStart {
    private static final ThreadPoolExecutor TRAINING = trainingThread();
    /**
     * How long after a failed training of a key this JVM tries again: a failure is likely to repeat,
     * and a route that wakes often would otherwise spend a training's CPU at every wake.
     */
    static final long RETRY_AFTER_FAILURE_NANOS = TimeUnit.MINUTES.toNanos(10);
    /** When each key's last training failed here (System.nanoTime()). */
    private static final Map<String, Long> FAILED = new ConcurrentHashMap<>();

    private final StartupCache cache;
    private final WorkerSpec spec;
    private final Path java;
    private final BiConsumer<String, String> report;
    /** The boot classes' jar of the spec's agent jar, in the cache. */
    private final Path bootJar;

    // guarded by this
    private String versionId;
    private String key;
    private boolean disabled;
    private Future<?> training;
    private String state;

    /**
     * @param cache the store
     * @param spec the children's spec
     * @param java the {@code java} launcher
     * @param versionId the version the children serve, or null to take the one the first child announces
     * @param report receives (event, message) of what went wrong or was made: {@code startup-cache-made},
     *     {@code startup-cache-failed}, {@code startup-cache-bad}
     */
    CachedStart(StartupCache cache, WorkerSpec spec, Path java, String versionId, BiConsumer<String, String> report) {
        this.cache = cache;
        this.spec = spec;
        this.java = java;
        this.report = report;
        List<String> agent = keyParts(spec, java, "");
        this.bootJar = cache.bootJar(StartupCache.key(agent.subList(3, 5)));
        this.state = "off: no archive yet";
        // no handler here, nor in a child (which reserves what this JVM reserved), may write what
        // the children's JVMs and gates trust
        Gates.reserve(cache.directory());
        if (versionId != null) {
            learn(versionId);
        }
    }

    private void learn(String id) {
        versionId = id;
        key = StartupCache.key(keyParts(spec, java, id));
    }

    /**
     * What an archive must match: the JDK (version, vendor, home), the agent jar (path, size,
     * modification time, as CDS itself checks), the version and handler class, and every JVM option.
     */
    static List<String> keyParts(WorkerSpec spec, Path java, String versionId) {
        List<String> parts = new ArrayList<>();
        parts.add(System.getProperty("java.runtime.version"));
        parts.add(System.getProperty("java.vm.vendor"));
        parts.add(System.getProperty("java.home"));
        Path jar = spec.agentJar().toAbsolutePath().normalize();
        parts.add(jar.toString());
        try {
            parts.add(Files.size(jar) + "@" + Files.getLastModifiedTime(jar).toMillis());
        } catch (IOException e) {
            parts.add("unreadable");
        }
        parts.add(versionId);
        parts.add(spec.handlerClass());
        parts.addAll(spec.launcher(java));
        return parts;
    }

    /** @return the entry the next child starts from, or null for a plain start */
    synchronized Path entryForNextChild() {
        if (!Files.isRegularFile(bootJar)) {
            try {
                StartupArchive.placeBootJar(cache, spec.agentJar(), bootJar);
            } catch (IOException | RuntimeException e) {
                return null; // the training reports it
            }
        }
        if (disabled || key == null) {
            return null;
        }
        return cache.lookup(key);
    }

    /**
     * The JVM options of the next child: an entry's, or for a plain start the boot jar alone, so
     * that the agent does not append to the boot class path at run time (which makes the JVM warn
     * on stderr at every start while it shares the JDK's own archive).
     *
     * @param entry an entry from {@link #entryForNextChild()}, or null
     * @return the options
     */
    List<String> args(Path entry) {
        List<String> a = new ArrayList<>();
        if (entry != null) {
            a.addAll(StartupArchive.useArgs(entry, bootJar));
        } else if (Files.isRegularFile(bootJar)) {
            a.add("-Xbootclasspath/a:" + bootJar);
        }
        return a;
    }

    /**
     * A child announced it is ready: checks that a cached child maps its archive, and starts the
     * training of a missing entry.
     *
     * @param pid the child's pid
     * @param entry the entry it started from, or null
     * @param announced the version it announced
     */
    synchronized void ready(long pid, Path entry, String announced) {
        if (key == null) {
            learn(announced);
        }
        if (entry != null) {
            Boolean mapped = StartupArchive.mapped(pid, entry.resolve(StartupCache.ARCHIVE));
            if (mapped == null) {
                state = "used (unverified: no /proc here)";
            } else if (mapped) {
                state = "used";
            } else if (!Files.exists(entry.resolve(StartupCache.ARCHIVE))) {
                state = "off: the entry was evicted as the child started";
            } else {
                bad("the child (pid " + pid + ") did not map the archive " + entry + "; the JVM rejected it");
            }
            return;
        }
        if (disabled || training != null || cache.isBad(key)) {
            return;
        }
        Long failedAt = FAILED.get(key);
        if (failedAt != null && System.nanoTime() - failedAt < RETRY_AFTER_FAILURE_NANOS) {
            state = "off: its training failed less than "
                    + TimeUnit.NANOSECONDS.toMinutes(RETRY_AFTER_FAILURE_NANOS) + " minutes ago";
            return;
        }
        byte[] policy;
        try { // read now: the route's policy file goes with its worker, a training may outlive it
            policy = spec.policyFile() == null ? null : Files.readAllBytes(spec.policyFile());
        } catch (IOException e) {
            state = "off: cannot read the policy file for the training: " + e.getMessage();
            return;
        }
        state = "training";
        String k = key;
        String v = versionId;
        training = TRAINING.submit(() -> train(k, v, policy));
    }

    /**
     * A child that started from an entry failed or died before it was ready: the entry is marked
     * bad and later children start plain.
     *
     * @param entry the entry
     * @param why what the child said, or null
     */
    synchronized void failedBeforeReady(Path entry, String why) {
        if (disabled) {
            return; // seen already (by the waiting caller and by the process reaper)
        }
        bad("a child failed to start from the archive " + entry + (why == null ? "" : ": " + why));
    }

    private void bad(String why) {
        disabled = true;
        cache.markBad(key);
        state = "off: " + why + "; marked bad, children start plain";
        report.accept("startup-cache-bad", why);
    }

    private void train(String k, String v, byte[] policy) {
        Path tmp;
        try {
            tmp = cache.begin(k);
        } catch (UncheckedIOException e) {
            finished("off: cannot write the cache: " + e.getCause().getMessage(), "startup-cache-failed");
            return;
        }
        if (tmp == null) {
            finished(cache.lookup(k) != null ? "ready" : cache.isBad(k) ? "off: marked bad"
                    : "off: another process is making it; later children use it", null);
            return;
        }
        long start = System.nanoTime();
        Path policyCopy = null;
        try {
            StartupArchive.placeBootJar(cache, spec.agentJar(), bootJar);
            WorkerSpec trained = spec;
            if (policy != null) { // beside the entry's directory, which holds only what it keeps
                policyCopy = tmp.resolveSibling(tmp.getFileName() + ".policy");
                Files.write(policyCopy, policy);
                trained = spec.withPolicyFile(policyCopy);
            }
            StartupArchive.make(trained, java, v, tmp, bootJar);
            boolean mine = cache.publish(k, tmp);
            finished("ready", mine ? "startup-cache-made" : null, "made in "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms in " + cache.directory().resolve(k));
        } catch (IOException | RuntimeException e) {
            cache.abandon(k, tmp);
            long now = System.nanoTime();
            FAILED.values().removeIf(t -> now - t >= RETRY_AFTER_FAILURE_NANOS); // only the recent ones count
            FAILED.put(k, now);
            finished("off: training failed: " + e.getMessage(), "startup-cache-failed");
        } catch (InterruptedException e) {
            cache.abandon(k, tmp);
            finished("off: training stopped", null);
        } finally {
            if (policyCopy != null) {
                try {
                    Files.deleteIfExists(policyCopy);
                } catch (IOException e) {
                    // a stale temporary file: the cache's eviction deletes it
                }
            }
        }
    }

    private void finished(String newState, String event) {
        finished(newState, event, newState);
    }

    private synchronized void finished(String newState, String event, String message) {
        if (!disabled) {
            state = newState;
        }
        if (event != null) {
            report.accept(event, message);
        }
    }

    /** @return {@code used}, {@code training}, {@code ready} (made, for the next child) or {@code off: why} */
    synchronized String state() {
        return state;
    }

    /** Stops a training waiting or in progress (its children are killed). */
    synchronized void stopTraining() {
        if (training != null) {
            training.cancel(true);
        }
    }

    private static ThreadPoolExecutor trainingThread() {
        ThreadPoolExecutor e = new ThreadPoolExecutor(0, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "ringfence-startup-cache-training");
            t.setDaemon(true);
            return t;
        });
        return e;
    }
}
