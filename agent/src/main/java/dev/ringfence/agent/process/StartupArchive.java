package dev.ringfence.agent.process;

import dev.ringfence.agent.gates.Gates;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.ExpandableArrayBuffer;

/**
 * How a child JVM's start-up cache is made and used: the AOT cache on JDK 25 and later
 * ({@code -XX:AOTCacheOutput} / {@code -XX:AOTCache}, JEP 483/514/515), a dynamic AppCDS archive
 * on JDK 17 to 24 ({@code -XX:ArchiveClassesAtExit} / {@code -XX:SharedArchiveFile} with
 * {@code -Xshare:auto}; JDK 25 refuses {@code -Xshare} beside {@code -XX:AOTCache}, whose default
 * {@code AOTMode=auto} does the same): an archive the JVM cannot use is skipped with a warning on
 * stdout, which the host discards, and the child starts plain. Never {@code -Xshare:on}.
 *
 * <p>Why it is made this way (found on JDK 17.0.15 and 25.0.3 with this agent):
 * <ul>
 * <li>The agent appends its gate classes to the boot class path at run time, after which CDS
 *   serves boot classes only. A cached child therefore starts with those classes on
 *   {@code -Xbootclasspath/a:} (a jar kept in the entry), and the agent leaves the path alone.</li>
 * <li>A JVM whose JDK classes were retransformed by the gates cannot make a usable archive: the
 *   JDK 25 AOT dump crashes on the retransformed core classes, and a JDK 17 archive made there
 *   crashes the next JVM (archived lambda proxies and vtables of redefined classes). So the archive
 *   is recorded in a JVM <em>without</em> the agent ({@link StartupTrainer}, on the agent jar's class
 *   path) that loads, without initialising, the classes a real child loaded on its way to ready.
 *   The list of those comes from a first training child started with
 *   {@code -XX:DumpLoadedClassList}, started and stopped ({@code STOP}) like any child, that never
 *   sees a request.</li>
 * <li>Whether an archive is in use is read from {@code /proc/PID/maps}: the JVM maps the file when
 *   it uses it and does not when it rejected it.</li>
 * </ul>
 * Handler classes come from the version's own class loader as instrumented bytes and are not
 * archived; what is archived is the JDK's and the agent's start-up path, which is most of a child's
 * class loading.
 */
final class StartupArchive {
    /**
     * The file of an entry holding the gated JDK classes woven for a child that starts from its
     * archive ({@link #check}): such a child retransforms classes the archive defined, whose bytes
     * as the JVM rebuilds them are not the ones the host wove, and would weave them itself.
     */
    static final String WOVEN_GATES = "woven-gates.bin";
    /**
     * The directory of an entry holding the version's instrumented classes (an instrumented-class
     * cache, {@code InstrumentedClassCache}), written by the check child: a child that starts from
     * the entry defines them without instrumenting, unless its spec names a class cache of its own.
     */
    static final String CLASSES = "classes";

    /** How long a training child may take to be ready, and to stop (an AOT cache is assembled at exit). */
    static final long TRAINING_NANOS = TimeUnit.SECONDS.toNanos(120);

    /**
     * The recording JVM keeps no method profiles in the AOT cache (JEP 515). What it runs is a
     * rehearsal, not a route's traffic: its profiles are of the JDK's class-file and method-handle
     * code spinning what a child finds in the cache ready made, and a child replaying them compiled
     * that at start, beside its own work. Without them a cached child on JDK 25.0.3 here used 50 ms
     * less CPU and answered its first request 14-18 ms sooner (p50 of 30 starts interleaved in one
     * run, BENCHMARKS.md 7.1). A JDK without these diagnostic options fails the recording, and the
     * route's children start plain, as after any failure to make a cache.
     */
    static final List<String> NO_TRAINING_DATA = List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:-AOTRecordTraining");

    /**
     * A child started from such a cache replays no training data either. JDK 25 turns the replay
     * on whenever it maps an AOT cache, with data in it or not; its thread is woken as each class
     * initialises, and in a cached child here those wake-ups cost 4-5 ms of CPU (async-profiler)
     * for nothing. Without it a cached child answered 5-6 ms sooner at p50 (three runs of 30
     * starts, each variant in the same run, BENCHMARKS.md 7.1). The check child starts with these
     * options too ({@link #check}), so a JDK that does not know them fails the entry, not a route's
     * child.
     */
    static final List<String> NO_TRAINING_REPLAY = List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:-AOTReplayTraining");

    private StartupArchive() {
    }

    /** @return whether this JDK makes an AOT cache (25+) rather than a dynamic AppCDS archive */
    static boolean aotCache() {
        return Runtime.version().feature() >= 25;
    }

    /** The options that keep the JVM's own archive messages off the child's output. */
    private static List<String> quiet() {
        return Runtime.version().feature() >= 24 ? List.of("-Xlog:cds*=off", "-Xlog:aot*=off") : List.of("-Xlog:cds*=off");
    }

    /**
     * @param entry a complete cache entry
     * @param bootJar the boot classes' jar it was made with
     * @return the JVM options of a child that starts from it
     */
    static List<String> useArgs(Path entry, Path bootJar) {
        List<String> a = new ArrayList<>();
        Path woven = entry.resolve(WOVEN_GATES);
        if (Files.isRegularFile(woven)) {
            a.add(Gates.wovenGatesOption(woven));
        }
        a.add("-Xbootclasspath/a:" + bootJar);
        if (aotCache()) {
            // AOTMode=auto (the default) skips a cache it cannot use; -Xshare may not be given with it
            a.add("-XX:AOTCache=" + entry.resolve(StartupCache.ARCHIVE));
            a.addAll(NO_TRAINING_REPLAY);
        } else {
            a.add("-Xshare:auto");
            a.add("-XX:SharedArchiveFile=" + entry.resolve(StartupCache.ARCHIVE));
        }
        a.addAll(quiet());
        return a;
    }

    /**
     * Whether a running JVM has a file mapped.
     *
     * @param pid the process
     * @param file the file
     * @return true or false, or null where {@code /proc} cannot tell
     */
    static Boolean mapped(long pid, Path file) {
        Path maps = Path.of("/proc", Long.toString(pid), "maps");
        String name = file.toAbsolutePath().normalize().toString();
        try {
            for (String line : Files.readAllLines(maps)) {
                if (line.endsWith(" " + name)) {
                    return true;
                }
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Makes an entry in a temporary directory: the boot jar, the class list of a training child,
     * then the archive from the agent-less recording JVM. Runs for seconds; never runs a request.
     *
     * @param spec the child's spec
     * @param java the {@code java} launcher
     * @param versionId the version id the training child must announce, or null for any
     * @param tmp the entry's temporary directory
     * @param boot the boot classes' jar, in place ({@link #placeBootJar})
     * @throws IOException when a step fails, with the reason
     * @throws InterruptedException when interrupted (the training children are killed)
     */
    static void make(WorkerSpec spec, Path java, String versionId, Path tmp, Path boot)
            throws IOException, InterruptedException {
        Path classes = tmp.resolve("classes.txt");
        runChild(spec, java, versionId, List.of("-Xbootclasspath/a:" + boot, "-XX:DumpLoadedClassList=" + classes),
                "training", tmp.resolve("training.channel"), pid -> { });
        List<String> record = new ArrayList<>(spec.launcher(java));
        record.add("-Xbootclasspath/a:" + boot);
        record.add((aotCache() ? "-XX:AOTCacheOutput=" : "-XX:ArchiveClassesAtExit=") + tmp.resolve(StartupCache.ARCHIVE));
        record.addAll(quiet());
        if (aotCache()) {
            record.addAll(NO_TRAINING_DATA);
            record.add("-Dringfence.allowUngated=true"); // the rehearsal: ringfence's own handler, no gates here
        }
        record.add("-cp");
        record.add(spec.agentJar().toString());
        record.add(StartupTrainer.class.getName());
        record.add(classes.toString());
        if (aotCache()) {
            record.add(StartupTrainer.REHEARSE);
            Path woven = Gates.wovenGatesFile(spec.workDir());
            if (woven != null) {
                record.add(woven.toString());
            }
        }
        int code = run(new ProcessBuilder(record), "recording the archive");
        Files.deleteIfExists(classes);
        Path archive = tmp.resolve(StartupCache.ARCHIVE);
        if (code != 0 || !Files.isRegularFile(archive) || Files.size(archive) == 0) {
            throw new IOException("the recording JVM made no archive (exit code " + code + ")");
        }
        try (var s = Files.list(tmp)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (!p.equals(archive)) {
                    Files.deleteIfExists(p); // the AOT configuration left behind, if any
                }
            }
        }
        check(spec, java, versionId, tmp, boot);
    }

    /**
     * Starts a child from the new archive, as a cached child starts, and stops it once ready: the
     * archive must be mapped (else the JVM rejected it, and every cached child would start plain
     * or fail), and the child records the gated classes it was handed and those it had to weave
     * itself in the entry ({@link #WOVEN_GATES}), so that the entry's children weave none, and the
     * version's classes it instrumented ({@link #CLASSES}). A child that could not record them is
     * not a failure: the entry's children then weave and instrument what they miss.
     */
    private static void check(WorkerSpec spec, Path java, String versionId, Path tmp, Path boot)
            throws IOException, InterruptedException {
        Path archive = tmp.resolve(StartupCache.ARCHIVE);
        List<String> options = new ArrayList<>(useArgs(tmp, boot));
        options.add(Gates.recordWovenGatesOption(tmp.resolve(WOVEN_GATES)));
        WorkerSpec checked = spec.cacheDir() == null ? spec.withCacheDir(tmp.resolve(CLASSES)) : spec;
        runChild(checked, java, versionId, options, "check", tmp.resolve("check.channel"), pid -> {
            if (Boolean.FALSE.equals(mapped(pid, archive))) {
                throw new IOException("a child started from the archive did not map it: the JVM rejected it");
            }
        });
    }

    /**
     * @param spec a child's spec
     * @param entry the entry it starts from, or null
     * @return the spec, with the entry's instrumented classes ({@link #CLASSES}) when it has none of its own
     */
    static WorkerSpec specFor(WorkerSpec spec, Path entry) {
        if (entry == null || spec.cacheDir() != null || !Files.isDirectory(entry.resolve(CLASSES))) {
            return spec;
        }
        return spec.withCacheDir(entry.resolve(CLASSES));
    }

    /** What is checked of a training child while it is ready, before it is stopped. */
    private interface WhileReady {
        void check(long pid) throws IOException;
    }

    /**
     * Starts a child of the spec with more JVM options, waits until it is ready, checks it and
     * stops it; it never sees a request.
     *
     * @param what the child's name in a failure's message
     */
    private static void runChild(WorkerSpec spec, Path java, String versionId, List<String> extra, String what,
            Path file, WhileReady whileReady) throws IOException, InterruptedException {
        ChannelFile channel = ChannelFile.create(file, 1 << 16);
        Process p = null;
        try {
            p = new ProcessBuilder(spec.command(java, file, extra)).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            long deadline = System.nanoTime() + TRAINING_NANOS;
            while (channel.state() == ChannelFile.STATE_STARTING && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            if (channel.state() != ChannelFile.STATE_READY) {
                throw new IOException("the " + what + " child did not become ready: " + (channel.state()
                        == ChannelFile.STATE_FAILED ? channel.stateText() : p.isAlive() ? "timed out" : "it died"));
            }
            if (versionId != null && !versionId.equals(channel.stateText())) {
                throw new IOException("the " + what + " child loaded version " + channel.stateText() + ", not " + versionId);
            }
            whileReady.check(p.pid());
            if (!channel.requests().write(Frames.STOP, new ExpandableArrayBuffer(16), 0, 0)) {
                throw new IOException("cannot send STOP to the " + what + " child");
            }
            try (OutputStream wake = p.getOutputStream()) {
                wake.write(1); // it may sleep on its stdin
            } catch (IOException e) {
                // it stopped already
            }
            if (!p.waitFor(TRAINING_NANOS, TimeUnit.NANOSECONDS) || p.exitValue() != 0) {
                throw new IOException("the " + what + " child did not stop cleanly");
            }
        } finally {
            if (p != null && p.isAlive()) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            channel.deleteFile();
        }
    }

    private static int run(ProcessBuilder pb, String what) throws IOException, InterruptedException {
        Process p = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            p.getOutputStream().close();
            if (!p.waitFor(TRAINING_NANOS, TimeUnit.NANOSECONDS)) {
                throw new IOException(what + " took longer than " + TimeUnit.NANOSECONDS.toSeconds(TRAINING_NANOS) + " s");
            }
            return p.exitValue();
        } finally {
            if (p.isAlive()) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
    }

    /**
     * Puts the boot classes' jar of an agent jar in place in the cache, unless it is there.
     *
     * @param cache the cache
     * @param agentJar the child's agent jar
     * @param boot where it goes ({@link StartupCache#bootJar})
     * @throws IOException when it cannot be written
     */
    static void placeBootJar(StartupCache cache, Path agentJar, Path boot) throws IOException {
        if (Files.isRegularFile(boot)) {
            return;
        }
        cache.create();
        Path tmp = boot.resolveSibling(boot.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        Gates.copyBootClasses(agentJar, tmp);
        cache.place(tmp, boot);
    }
}
