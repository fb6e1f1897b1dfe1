package dev.ringfence.agent.process;

import dev.ringfence.agent.gates.Gates;
import dev.ringfence.agent.pipeline.RouteSettings;
import dev.ringfence.api.Budgets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Objects;

/**
 * What a child JVM runs and the caps it runs under.
 *
 * @param agentJar the shaded agent jar the child starts from ({@code java -jar}, which installs
 *     the gates through {@code Launcher-Agent-Class})
 * @param handlerPaths the handler's classpath: jars or class directories, in order
 * @param handlerClass the class implementing {@code dev.ringfence.api.Handler}
 * @param budgets CPU, fuel, allocation and native-memory budgets of every request inside the child; the wall
 *     budget here is ignored, each request brings what is left of its deadline
 * @param policyFile a properties file widening the deny-all policy ({@code invoke --policy}), or null
 * @param cacheDir the instrumented-class cache, or null for none
 * @param caps the child JVM's memory caps
 * @param ringCapacity each ring's capacity in bytes (a power of two); a message may take an eighth
 * @param workDir where the channel files go
 * @param defer the route's deferred-work settings, run inside the child ({@code defer.*})
 * @param tmpDir the child's {@code java.io.tmpdir}, or null for the system's
 * @param properties more system properties of the child JVM (a route's {@code child.properties})
 */
public record WorkerSpec(Path agentJar, List<Path> handlerPaths, String handlerClass, Budgets budgets,
        Path policyFile, Path cacheDir, Caps caps, int ringCapacity, Path workDir, RouteSettings.Defer defer,
        Path tmpDir, Map<String, String> properties) {

    /** The {@code worker} flag saying the child's {@code java.io.tmpdir} is its route's own ({@code tmpdir}). */
    public static final String OWN_TMPDIR = "--own-tmpdir";

    /** 2 MiB a direction: messages up to 256 KiB; pages are touched only as the rings wrap. */
    public static final int DEFAULT_RING_CAPACITY = 2 << 20;

    /** Checks and copies. */
    public WorkerSpec {
        Objects.requireNonNull(agentJar, "agentJar");
        Objects.requireNonNull(handlerClass, "handlerClass");
        Objects.requireNonNull(budgets, "budgets");
        Objects.requireNonNull(caps, "caps");
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(defer, "defer");
        properties = Map.copyOf(properties);
        handlerPaths = List.copyOf(handlerPaths);
        if (handlerPaths.isEmpty()) {
            throw new IllegalArgumentException("a worker needs at least one handler path");
        }
    }

    /**
     * A child of a handler with the default caps, no budgets but the deadline, the deny-all
     * policy, no class cache, the default ring capacity and deferred-work settings.
     *
     * @param agentJar the shaded agent jar
     * @param handlerPaths the handler's classpath
     * @param handlerClass the handler class
     * @param workDir where the channel files go
     * @return the spec
     */
    public static WorkerSpec of(Path agentJar, List<Path> handlerPaths, String handlerClass, Path workDir) {
        return new WorkerSpec(agentJar, handlerPaths, handlerClass, Budgets.NONE, null, null, Caps.DEFAULT,
                DEFAULT_RING_CAPACITY, workDir, RouteSettings.Defer.DEFAULT, null, Map.of());
    }

    /**
     * @param newBudgets the budgets
     * @return this spec with other budgets
     */
    public WorkerSpec withBudgets(Budgets newBudgets) {
        return new WorkerSpec(agentJar, handlerPaths, handlerClass, newBudgets, policyFile, cacheDir, caps, ringCapacity,
                workDir, defer, tmpDir, properties);
    }

    /**
     * @param newPolicyFile the policy file, or null for deny-all
     * @return this spec with another policy file
     */
    public WorkerSpec withPolicyFile(Path newPolicyFile) {
        return new WorkerSpec(agentJar, handlerPaths, handlerClass, budgets, newPolicyFile, cacheDir, caps, ringCapacity,
                workDir, defer, tmpDir, properties);
    }

    /**
     * @param newCacheDir the instrumented-class cache, or null for none
     * @return this spec with another class cache
     */
    public WorkerSpec withCacheDir(Path newCacheDir) {
        return new WorkerSpec(agentJar, handlerPaths, handlerClass, budgets, policyFile, newCacheDir, caps, ringCapacity,
                workDir, defer, tmpDir, properties);
    }

    /**
     * @param newCaps the caps
     * @return this spec with other caps
     */
    public WorkerSpec withCaps(Caps newCaps) {
        return new WorkerSpec(agentJar, handlerPaths, handlerClass, budgets, policyFile, cacheDir, newCaps, ringCapacity,
                workDir, defer, tmpDir, properties);
    }

    /**
     * The JIT's thresholds, four times the defaults, in a route's child (not a spare): such a child
     * answers a request as soon as it is up, and on JDK 25.0.3 here its compiler threads used about
     * as much CPU before the first answer as its main thread (C1 110 ms, C2 57 ms against 113 ms,
     * async-profiler), on a machine of two cores, compiling code that runs once at start. Four
     * times later, a cached child's first answer came 18 ms sooner at p50 (30 starts interleaved
     * in one run, BENCHMARKS.md 7.1); code that serves requests still reaches C1 after 800 calls
     * and C2 after 20,000. A spare warms up before it is used and keeps the defaults.
     */
    static final String ROUTE_CHILD_COMPILE_THRESHOLDS = "-XX:CompileThresholdScaling=4";

    /**
     * The child JVM's command line.
     *
     * @param java the {@code java} launcher
     * @param channel the channel file
     * @return the command
     */
    List<String> command(Path java, Path channel) {
        return command(java, channel, List.of());
    }

    /**
     * The child JVM's command line with more JVM options (a start-up cache's).
     *
     * @param java the {@code java} launcher
     * @param channel the channel file
     * @param jvmOptions options put after the caps, before {@code -jar}; when they name a file of
     *     woven gates ({@link Gates#wovenGatesOption}), it is used instead of the host's
     * @return the command
     */
    List<String> command(Path java, Path channel, List<String> jvmOptions) {
        List<String> cmd = jvm(java, true, jvmOptions);
        cmd.add("--channel");
        cmd.add(channel.toString());
        cmd.addAll(handlerArgs());
        return cmd;
    }

    /**
     * The child JVM's command line when it serves over its stdin and stdout ({@link PipeWorker}).
     *
     * @param java the {@code java} launcher
     * @return the command
     */
    List<String> pipeCommand(Path java) {
        List<String> cmd = jvm(java, true, List.of());
        cmd.add("--pipe");
        cmd.addAll(handlerArgs());
        return cmd;
    }

    /**
     * The command line of a generic spare child with these caps: warmed, holding no handler until
     * a {@code LOAD} message brings {@link #handlerArgs()} ({@link SpareChild}).
     *
     * @param java the {@code java} launcher
     * @param channel the channel file
     * @return the command
     */
    List<String> spareCommand(Path java, Path channel) {
        List<String> cmd = jvm(java, false, List.of());
        cmd.add("--spare");
        cmd.add("--channel");
        cmd.add(channel.toString());
        return cmd;
    }

    /**
     * A child's command up to its {@code worker} verb: the launcher and caps, a route's child's JIT
     * thresholds, the woven gates (the host's, unless {@code jvmOptions} name others), the reserved
     * directories, the options, the agent jar.
     */
    private List<String> jvm(Path java, boolean routeChild, List<String> jvmOptions) {
        List<String> cmd = new ArrayList<>(launcher(java));
        if (routeChild) {
            cmd.add(ROUTE_CHILD_COMPILE_THRESHOLDS);
        }
        if (jvmOptions.stream().noneMatch(Gates::isWovenGatesOption)) {
            cmd.addAll(wovenGates());
        }
        cmd.addAll(bootJar());
        cmd.addAll(reserved());
        cmd.addAll(jvmOptions);
        cmd.addAll(jar());
        return cmd;
    }

    /**
     * Reserves in the child every directory this host reserved ({@link Gates#reserveOption}). Not
     * part of {@link #launcher}: what is reserved changes with the host, and a start-up cache's key
     * must not.
     */
    private static List<String> reserved() {
        String option = Gates.reserveOption();
        return option == null ? List.of() : List.of(option);
    }

    /**
     * Points the child at the gated classes this host wove ({@link Gates#wovenGatesFile}), kept in
     * the work directory. Not part of {@link #launcher}: the file's place changes with the host,
     * and a start-up cache's key must not.
     */
    private List<String> wovenGates() {
        Path file = Gates.wovenGatesFile(workDir);
        return file == null ? List.of() : List.of(Gates.wovenGatesOption(file));
    }

    /**
     * Points the child at the jar of boot classes this host wrote ({@link Gates#childBootJar}) in
     * the work directory, so that it writes none of its own (a child started from a start-up cache
     * has the entry's on its boot class path already, and ignores it). Not part of
     * {@link #launcher}, for the same reason as {@link #wovenGates}.
     */
    private List<String> bootJar() {
        Path jar = Gates.childBootJar(workDir, agentJar);
        return jar == null ? List.of() : List.of(Gates.bootJarOption(jar));
    }

    /**
     * The launcher and the JVM options every child of this spec starts with (its caps), before
     * what it runs: what a start-up cache's archive must be made and used under.
     *
     * @param java the {@code java} launcher
     * @return the command's start
     */
    List<String> launcher(Path java) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.addAll(caps.jvmArgs());
        // the host wove and checked every gated class of this JDK: the child weaves what it loads
        cmd.add("-D" + Gates.LAZY_PROPERTY + "=true");
        if (tmpDir != null) {
            cmd.add("-Djava.io.tmpdir=" + tmpDir);
            cmd.add("-D" + Gates.SYSTEM_TMPDIR_PROPERTY + "=" + System.getProperty("java.io.tmpdir"));
        }
        new TreeMap<>(properties).forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        if (Runtime.version().feature() >= 23) {
            // Agrona reads and writes the mapped rings through sun.misc.Unsafe: allowed, without
            // the JDK 24+ warning on stderr (JEP 471/498)
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        return cmd;
    }

    private List<String> jar() {
        List<String> cmd = new ArrayList<>();
        cmd.add("-jar");
        cmd.add(agentJar.toString());
        cmd.add("worker");
        return cmd;
    }

    /**
     * How long a child told to stop may take to drain its deferred work: {@code defer.drain}, one
     * piece's {@code defer.timeout}, and two seconds for the rest.
     *
     * @return nanoseconds
     */
    long drainBoundNanos() {
        return defer.drainNanos() + defer.budgets().wallNanos() + 2_000_000_000L;
    }

    /** @return the {@code worker} arguments naming the handler, its budgets, policy, class cache and deferred-work settings */
    List<String> handlerArgs() {
        List<String> cmd = new ArrayList<>();
        for (Path p : handlerPaths) {
            cmd.add("--handler");
            cmd.add(p.toString());
        }
        cmd.add("--class");
        cmd.add(handlerClass);
        if (budgets.cpuNanos() > 0) {
            cmd.add("--cpu");
            cmd.add(budgets.cpuNanos() + "ns");
        }
        if (budgets.fuel() > 0) {
            cmd.add("--fuel");
            cmd.add(Long.toString(budgets.fuel()));
        }
        if (budgets.allocBytes() > 0) {
            cmd.add("--alloc");
            cmd.add(Long.toString(budgets.allocBytes()));
        }
        if (budgets.nativeBytes() > 0) {
            cmd.add("--native");
            cmd.add(Long.toString(budgets.nativeBytes()));
        }
        if (policyFile != null) {
            cmd.add("--policy");
            cmd.add(policyFile.toString());
        }
        if (cacheDir != null) {
            cmd.add("--cache");
            cmd.add(cacheDir.toString());
        } else {
            cmd.add("--no-cache");
        }
        if (tmpDir != null) {
            cmd.add(OWN_TMPDIR); // its java.io.tmpdir is the route's, not the host's: handlers may read it
        }
        if (!defer.equals(RouteSettings.Defer.DEFAULT)) {
            cmd.add("--defer");
            cmd.add(defer.toArgument());
        }
        return cmd;
    }

    /**
     * A child JVM's memory caps.
     *
     * @param heapBytes {@code -Xmx}
     * @param initialHeapBytes {@code -Xms}
     * @param directBytes {@code -XX:MaxDirectMemorySize}
     * @param metaspaceBytes {@code -XX:MaxMetaspaceSize}
     * @param threadStackBytes {@code -Xss}
     */
    public record Caps(long heapBytes, long initialHeapBytes, long directBytes, long metaspaceBytes,
            long threadStackBytes) {
        /**
         * A child's initial heap (capped by its maximum): 32 MiB. At 16 MiB (a young generation of
         * about 5 MiB with the serial collector) a JDK 25 child collected once before its first
         * answer, 3-4 ms, copying what its start had just allocated; at 32 MiB it did not, and its
         * first answer came about 5 ms sooner at p50 (30 starts interleaved in one run, twice). Its
         * pages are touched only as they are used, so the start touches no more of them.
         */
        public static final long INITIAL_HEAP_BYTES = 32L << 20;
        /** 256 MiB heap starting at {@link #INITIAL_HEAP_BYTES}, 64 MiB direct, 128 MiB Metaspace, 1 MiB stacks. */
        public static final Caps DEFAULT = new Caps(256L << 20, INITIAL_HEAP_BYTES, 64L << 20, 128L << 20, 1L << 20);

        /** Checks the sizes. */
        public Caps {
            if (heapBytes < (8L << 20) || initialHeapBytes <= 0 || initialHeapBytes > heapBytes || directBytes <= 0
                    || metaspaceBytes < (16L << 20) || threadStackBytes < (256L << 10)) {
                throw new IllegalArgumentException("caps out of range: heap >= 8m, 0 < initial heap <= heap, direct > 0,"
                        + " metaspace >= 16m, stack >= 256k");
            }
        }

        // written out: a record's generated equals goes through a method-handle chain that the
        // interpreter runs slowly, and a spare is matched against caps on a request's way
        @Override
        public boolean equals(Object o) {
            return o instanceof Caps c && heapBytes == c.heapBytes && initialHeapBytes == c.initialHeapBytes
                    && directBytes == c.directBytes && metaspaceBytes == c.metaspaceBytes
                    && threadStackBytes == c.threadStackBytes;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(heapBytes) * 31 + Long.hashCode(directBytes) * 17 + Long.hashCode(metaspaceBytes)
                    + Long.hashCode(initialHeapBytes) * 7 + Long.hashCode(threadStackBytes);
        }

        /** @return the JVM options, a serial collector included (one GC thread for a small heap) */
        public List<String> jvmArgs() {
            return List.of("-Xmx" + heapBytes, "-Xms" + initialHeapBytes, "-XX:MaxDirectMemorySize=" + directBytes,
                    "-XX:MaxMetaspaceSize=" + metaspaceBytes, "-Xss" + threadStackBytes, "-XX:+UseSerialGC");
        }
    }
}
