package dev.ringfence.agent.pipeline;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Response;
import dev.ringfence.limiter.Policy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A route's settings: what {@code DIR/<route>/route.properties} says, over the global defaults
 * ({@link RouteDefaults}), over the built-in defaults below. Immutable.
 *
 * <table>
 *   <caption>Keys, built-in defaults and limits</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code handler}</td><td>required, route file only</td><td>the class implementing {@code Handler} (or an AWS
 *       Lambda {@code RequestHandler}/{@code RequestStreamHandler}, see {@link dev.ringfence.agent.lambda.LambdaAdapter}); with
 *       {@code runtime=provided}, optional free text handed to the bootstrap as {@code _HANDLER}</td></tr>
 *   <tr><td>{@code runtime}</td><td>{@code java}</td><td>{@code java}: the handler is a class on the folder's jars;
 *       {@code provided}: the folder holds an executable {@code bootstrap} in any language, served the Lambda runtime
 *       API (see {@link dev.ringfence.agent.runtimeapi.ProvidedRuntime})</td></tr>
 *   <tr><td>{@code memory}</td><td>{@code off}</td><td>with {@code runtime=provided}, the virtual memory each
 *       bootstrap process may map ({@code RLIMIT_AS}, at least {@code 16m}), also its
 *       {@code AWS_LAMBDA_FUNCTION_MEMORY_SIZE} in MiB (128 when {@code off}); with {@code runtime=java}, what an AWS
 *       Lambda handler's {@code getMemoryLimitInMB} answers in-process (see {@link dev.ringfence.agent.lambda.LambdaMemory})</td></tr>
 *   <tr><td>{@code timeout}</td><td>{@code 3s}</td><td>wall-clock deadline (more than 0)</td></tr>
 *   <tr><td>{@code cpu}, {@code fuel}, {@code alloc}</td><td>{@code 0}</td><td>budgets as for {@code invoke}; 0 is none</td></tr>
 *   <tr><td>{@code slow}</td><td>{@code 500ms}</td><td>invocations longer than this are logged; 0 logs none</td></tr>
 *   <tr><td>{@code maxInflight}</td><td>{@code 16}</td><td>invocations running at once, 1 to 10000</td></tr>
 *   <tr><td>{@code maxQueue}</td><td>{@code 32}</td><td>requests waiting beyond those, 0 to 100000</td></tr>
 *   <tr><td>{@code maxBodyBytes}</td><td>{@code 1m}</td><td>larger request bodies are answered 413</td></tr>
 *   <tr><td>{@code idle}</td><td>{@code 10m}</td><td>scale to zero after this long without requests; 0 never</td></tr>
 *   <tr><td>{@code breaker.failures}</td><td>{@code 5}</td><td>consecutive failures that open the breaker</td></tr>
 *   <tr><td>{@code breaker.successes}</td><td>{@code 3}</td><td>consecutive half-open successes that close it
 *       (also the number of trial calls admitted at once)</td></tr>
 *   <tr><td>{@code breaker.openFor}</td><td>{@code 30s}</td><td>how long it stays open</td></tr>
 *   <tr><td>{@code retry.max}</td><td>{@code 2}</td><td>retries after the first attempt, 0 to 10</td></tr>
 *   <tr><td>{@code retry.base}, {@code retry.cap}</td><td>{@code 25ms}, {@code 1s}</td><td>backoff: full jitter up
 *       to {@code min(cap, base·2^n)}</td></tr>
 *   <tr><td>{@code idempotent}</td><td>{@code false}</td><td>{@code true} also retries failures after the handler ran</td></tr>
 *   <tr><td>{@code pool.min}</td><td>{@code min(2, pool.max)}; {@code 1} with {@code isolation=process}</td>
 *       <td>fewest in-process workers (at least 1); on the process tier, fewest child JVMs per version</td></tr>
 *   <tr><td>{@code pool.max}</td><td>{@code maxInflight}; {@code min(4, maxInflight / concurrency)} with
 *       {@code isolation=process}</td><td>most workers, at most {@code maxInflight}; on the process tier, most
 *       children, with {@code pool.max × concurrency} at most {@code maxInflight}</td></tr>
 *   <tr><td>{@code pool.interval}</td><td>{@code 10s}</td><td>how often the pool is resized</td></tr>
 *   <tr><td>{@code pool.cooldown}</td><td>{@code 30s}</td><td>no resize sooner than this after the last one</td></tr>
 *   <tr><td>{@code fallback.status}</td><td>none</td><td>200 to 599: answer this instead of 503 while the breaker
 *       is open; {@code fallback.body} (default empty) and {@code fallback.contentType}
 *       (default {@code text/plain; charset=utf-8}) need it</td></tr>
 *   <tr><td>{@code quarantine.after}</td><td>{@code 1}</td><td>abandoned handler threads of one version that
 *       quarantine it (see {@link Quarantine}); 0 never</td></tr>
 *   <tr><td>{@code quarantine.for}</td><td>{@code 0}</td><td>how long a quarantine lasts; 0 until a new version
 *       loads</td></tr>
 *   <tr><td>{@code cpu.share}</td><td>{@code off}</td><td>the CPU the route's invocations may use together:
 *       cores ({@code 0.5}, {@code 2}) or a percentage of this machine's ({@code 25%}); beyond it they
 *       pause at their probes (see {@link dev.ringfence.limiter.ShareQuota}); {@code off} for no limit</td></tr>
 *   <tr><td>{@code alloc.rate}</td><td>{@code off}</td><td>the bytes per second the route's invocations may
 *       allocate together ({@code 64m} is 64 MiB a second); beyond it they pause the same way</td></tr>
 *   <tr><td>{@code policy.read}, {@code policy.write}</td><td>none</td><td>directories; a relative one is resolved
 *       against the folder of the file that names it</td></tr>
 *   <tr><td>{@code policy.hosts}, {@code policy.env}</td><td>none</td><td>{@code host} or {@code host:port};
 *       variable names</td></tr>
 *   <tr><td>{@code policy.threads}, {@code policy.native}</td><td>{@code false}</td><td>as for {@code invoke --policy};
 *       {@code policy.native=true} is honoured only in a child JVM, so it is refused with {@code isolation=in-process}
 *       (see {@link #needsProcess()})</td></tr>
 *   <tr><td>{@code isolation}</td><td>{@code auto}</td><td>where the handler runs: {@code in-process} (a pooled
 *       thread of this JVM), {@code process} (a warm child JVM, see {@link Isolation}) or {@code auto} (in-process
 *       until a version shows one JVM cannot contain it, then that version in a child: see {@link AutoTier})</td></tr>
 *   <tr><td>{@code heap}, {@code native}, {@code metaspace}</td><td>{@code 256m}, {@code 64m}, {@code 128m}</td>
 *       <td>the child JVM's caps with {@code isolation=process}, or {@code auto} once moved: {@code -Xmx} (at
 *       least {@code 8m}), {@code -XX:MaxDirectMemorySize} (more than 0), {@code -XX:MaxMetaspaceSize} (at least
 *       {@code 16m}); {@code heap} and {@code metaspace} are unused in-process. {@code native} is also, in every
 *       tier, the per-invocation budget of memory reserved outside the heap ({@link Budgets#nativeBytes()})</td></tr>
 *   <tr><td>{@code defer.timeout}</td><td>{@code 30s}</td><td>wall-clock deadline of each piece of deferred work
 *       ({@code Context.defer} tasks and batch flushes; more than 0); the request's own deadline does not apply</td></tr>
 *   <tr><td>{@code defer.cpu}, {@code defer.alloc}</td><td>{@code 0}</td><td>CPU and allocation budgets of each piece
 *       of deferred work; 0 is none (the route's {@code cpu}, {@code alloc} do not apply to it)</td></tr>
 *   <tr><td>{@code defer.maxQueue}</td><td>{@code 1000}</td><td>deferred tasks and batch flushes accepted and not yet
 *       started, 1 to 1000000; beyond it {@code defer} refuses (counted and logged)</td></tr>
 *   <tr><td>{@code defer.workers}</td><td>{@code 2}</td><td>deferred work of the route running at once, 1 to 256
 *       (each on a sandbox worker; with 1, tasks run one at a time in the order accepted)</td></tr>
 *   <tr><td>{@code defer.drain}</td><td>{@code 10s}</td><td>on route removal or shutdown, how long queued deferred work
 *       may still start; what has not started by then is dropped (counted and logged)</td></tr>
 *   <tr><td>{@code defer.batch.size}</td><td>{@code 100}</td><td>a batcher flushes when this many items are pending,
 *       1 to 1000000</td></tr>
 *   <tr><td>{@code defer.batch.linger}</td><td>{@code 1s}</td><td>a batcher flushes when its oldest pending item has
 *       waited this long (more than 0)</td></tr>
 *   <tr><td>{@code tmpdir}</td><td>none</td><td>with {@code isolation=process}, the child JVM's
 *       {@code java.io.tmpdir} (where a dependency extracts a native library, say), resolved like
 *       {@code policy.write} and below one of its directories; created when missing. Empty: the system's</td></tr>
 *   <tr><td>{@code child.properties}</td><td>none</td><td>with {@code isolation=process}, system properties the
 *       child JVM starts with: {@code name=value} pairs, comma separated, {@code ${folder}} in a value replaced by
 *       the folder of the file that sets it (for a dependency configured only through system properties); names
 *       of the JVM, the JDK and ringfence ({@code java.}, {@code jdk.}, {@code sun.}, {@code ringfence.}, ...) are refused</td></tr>
 *   <tr><td>{@code concurrency}</td><td>{@code 1}</td><td>in a child ({@code isolation=process}, or {@code auto} once moved), requests one child runs at
 *       once, 1 to 256 and at most {@code maxInflight}; the route's in-flight limit is then children × concurrency.
 *       A deadline killing a child ends the other requests it was running {@code CRASHED}; read but unused
 *       in-process</td></tr>
 * </table>
 *
 * <p>A route's value replaces the global one key by key; lists are replaced, not appended to (an
 * empty {@code policy.read=} clears a global list). Unknown keys, keys written twice, bad values and
 * settings that contradict each other are {@link SettingsException}s naming the file, key and value.
 *
 * @param handler the handler class
 * @param budgets {@code timeout}, {@code cpu}, {@code fuel}, {@code alloc}, {@code native}
 * @param slowNanos the slow-invocation threshold, 0 for none
 * @param maxInflight invocations running at once
 * @param maxQueue requests waiting beyond those
 * @param maxBodyBytes the largest request body accepted
 * @param idleNanos idle time before scaling to zero, 0 for never
 * @param breaker the circuit breaker's settings
 * @param retry the retry settings
 * @param pool the worker pool's settings
 * @param fallback the response while the breaker is open (or the version is quarantined), or null for 503
 * @param quarantine when a version whose handler threads were abandoned stops running, and for how long
 * @param cpuShare the cores' worth of CPU the route's invocations may use together, 0 for no limit
 * @param allocRate the bytes per second the route's invocations may allocate together, 0 for no limit
 * @param policy what the handler may do beyond computing
 * @param isolation where the handler runs, and the child JVM's caps when that is a process
 * @param defer the budgets, bounds and batching of deferred work ({@code defer.*})
 * @param runtime what the handler is: a Java class, or a {@code bootstrap} served the Lambda runtime API
 */
public record RouteSettings(String handler, Budgets budgets, long slowNanos, int maxInflight, int maxQueue,
        long maxBodyBytes, long idleNanos, Breaker breaker, Retry retry, Pool pool, Fallback fallback,
        QuarantineSettings quarantine, double cpuShare, long allocRate, Policy policy,
        Isolation isolation, Defer defer, FunctionRuntime runtime) {

    /** The file in a route's folder that holds its settings. */
    public static final String FILE_NAME = "route.properties";

    /** The largest {@code maxBodyBytes}: a body is held in one array. */
    public static final long MAX_BODY_LIMIT = Integer.MAX_VALUE - 8;

    /** Every key a route or the global defaults may set. */
    public static final Set<String> KEYS = Collections.unmodifiableSet(new LinkedHashSet<>(List.of("handler",
            "timeout", "cpu", "fuel", "alloc", "slow", "maxInflight", "maxQueue", "maxBodyBytes", "idle",
            "breaker.failures", "breaker.successes", "breaker.openFor", "retry.max", "retry.base", "retry.cap",
            "idempotent", "pool.min", "pool.max", "pool.interval", "pool.cooldown", "fallback.status",
            "fallback.body", "fallback.contentType", "quarantine.after", "quarantine.for", "cpu.share", "alloc.rate", "policy.read",
            "policy.write", "policy.hosts", "policy.env", "policy.threads", "policy.native", "isolation", "heap",
            "native", "metaspace", "defer.timeout", "defer.cpu", "defer.alloc", "defer.maxQueue", "defer.workers",
            "defer.drain", "defer.batch.size", "defer.batch.linger", "runtime", "memory",
            "concurrency", "tmpdir", "child.properties")));

    static final SettingValues BUILT_IN = SettingValues.builtIn(builtIn());

    private static final String TEXT = "text/plain; charset=utf-8";

    private static Map<String, String> builtIn() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("timeout", "3s");
        m.put("cpu", "0");
        m.put("fuel", "0");
        m.put("alloc", "0");
        m.put("slow", "500ms");
        m.put("maxInflight", "16");
        m.put("maxQueue", "32");
        m.put("maxBodyBytes", "1m");
        m.put("idle", "10m");
        m.put("breaker.failures", "5");
        m.put("breaker.successes", "3");
        m.put("breaker.openFor", "30s");
        m.put("retry.max", "2");
        m.put("retry.base", "25ms");
        m.put("retry.cap", "1s");
        m.put("idempotent", "false");
        m.put("pool.interval", "10s");
        m.put("pool.cooldown", "30s");
        m.put("quarantine.after", "1");
        m.put("quarantine.for", "0");
        m.put("cpu.share", "off");
        m.put("alloc.rate", "off");
        m.put("policy.threads", "false");
        m.put("policy.native", "false");
        m.put("isolation", "auto");
        m.put("concurrency", "1");
        m.put("tmpdir", "");
        m.put("child.properties", "");
        m.put("heap", "256m");
        m.put("native", "64m");
        m.put("metaspace", "128m");
        m.put("defer.timeout", "30s");
        m.put("defer.cpu", "0");
        m.put("defer.alloc", "0");
        m.put("defer.maxQueue", "1000");
        m.put("defer.workers", "2");
        m.put("defer.drain", "10s");
        m.put("defer.batch.size", "100");
        m.put("defer.batch.linger", "1s");
        m.put("runtime", "java");
        m.put("memory", "off");
        return m;
    }

    /**
     * The circuit breaker's settings.
     *
     * @param failures consecutive failures that open it (at least 1)
     * @param successes consecutive half-open successes that close it (at least 1)
     * @param openForNanos how long it stays open (more than 0)
     */
    public record Breaker(int failures, int successes, long openForNanos) {
        /** @throws IllegalArgumentException on a value out of range */
        public Breaker {
            if (failures < 1 || successes < 1 || openForNanos <= 0) {
                throw new IllegalArgumentException("breaker needs failures >= 1, successes >= 1, openFor > 0");
            }
        }
    }

    /**
     * The retry settings.
     *
     * @param max retries after the first attempt (0 for none)
     * @param baseNanos the backoff's first ceiling (more than 0)
     * @param capNanos the backoff's largest ceiling (at least {@code baseNanos})
     * @param idempotent whether failures after the handler ran may be retried
     */
    public record Retry(int max, long baseNanos, long capNanos, boolean idempotent) {
        /** @throws IllegalArgumentException on a value out of range */
        public Retry {
            if (max < 0 || baseNanos <= 0 || capNanos < baseNanos) {
                throw new IllegalArgumentException("retry needs max >= 0, base > 0, cap >= base");
            }
        }
    }

    /**
     * The in-process worker pool's settings.
     *
     * @param min fewest workers (at least 1; scale-to-zero is {@code idle}'s job)
     * @param max most workers (at least {@code min})
     * @param intervalNanos how often to resize (more than 0)
     * @param cooldownNanos least time between two resizes (0 or more)
     */
    public record Pool(int min, int max, long intervalNanos, long cooldownNanos) {
        /** @throws IllegalArgumentException on a value out of range */
        public Pool {
            if (min < 1 || max < min || intervalNanos <= 0 || cooldownNanos < 0) {
                throw new IllegalArgumentException("pool needs 1 <= min <= max, interval > 0, cooldown >= 0");
            }
        }
    }

    /**
     * When a version whose handler threads were abandoned is quarantined, and for how long.
     *
     * @param after abandoned handler threads of one version that quarantine it; 0 never
     * @param forNanos how long a quarantine lasts; 0 until a new version loads
     */
    public record QuarantineSettings(int after, long forNanos) {
        /** Never quarantines. */
        public static final QuarantineSettings NEVER = new QuarantineSettings(0, 0);

        /** @throws IllegalArgumentException on a negative value */
        public QuarantineSettings {
            if (after < 0 || forNanos < 0) {
                throw new IllegalArgumentException("quarantine needs after >= 0, for >= 0");
            }
        }

        /** @return whether abandoned threads ever quarantine a version */
        public boolean enabled() {
            return after > 0;
        }
    }

    /**
     * Where a route's handler runs.
     *
     * <p>{@code in-process}: on a pooled thread of this JVM, under the instrumented budgets.
     * {@code process}: in a warm child JVM started from the agent jar with its own caps (see
     * {@link dev.ringfence.agent.process.WorkerProcess}), where a handler that cannot be stopped
     * (a thread that never reaches a probe, native memory, a halt) is killed and replaced.
     * {@code auto} (the default): in-process until a version shows that one JVM cannot contain it,
     * then that version moves to a child with these caps ({@link AutoTier}).
     *
     * @param mode the tier
     * @param heapBytes the child's {@code -Xmx}
     * @param nativeBytes the child's {@code -XX:MaxDirectMemorySize}
     * @param metaspaceBytes the child's {@code -XX:MaxMetaspaceSize}
     * @param concurrency requests one child runs at once (each on a serving thread of its own)
     */
    public record Isolation(Mode mode, long heapBytes, long nativeBytes, long metaspaceBytes, int concurrency,
            Path tmpDir, Map<String, String> childProperties) {
        /** The most requests one child runs at once. */
        public static final int MAX_CONCURRENCY = 256;
        /** {@code pool.max}'s default on the process tier (at most {@code maxInflight / concurrency}). */
        public static final int DEFAULT_MAX_CHILDREN = 4;
        /** The smallest {@code heap}. */
        public static final long MIN_HEAP = 8L << 20;
        /** The smallest {@code metaspace}. */
        public static final long MIN_METASPACE = 16L << 20;
        /** In-process, with the default caps should the route move to a process. */
        public static final Isolation IN_PROCESS = new Isolation(Mode.IN_PROCESS, 256L << 20, 64L << 20, 128L << 20);
        /** The default: auto, with the default caps. */
        public static final Isolation AUTO = new Isolation(Mode.AUTO, 256L << 20, 64L << 20, 128L << 20);

        /** @throws IllegalArgumentException on a cap or a concurrency out of range */
        public Isolation {
            Objects.requireNonNull(mode, "mode");
            childProperties = Collections.unmodifiableMap(new LinkedHashMap<>(childProperties));
            if (heapBytes < MIN_HEAP || nativeBytes <= 0 || metaspaceBytes < MIN_METASPACE || concurrency < 1
                    || concurrency > MAX_CONCURRENCY) {
                throw new IllegalArgumentException("isolation needs heap >= 8m, native > 0, metaspace >= 16m,"
                        + " 1 <= concurrency <= " + MAX_CONCURRENCY);
            }
        }

        /**
         * With the system's temporary directory in the child.
         *
         * @param mode the tier
         * @param heapBytes the child's {@code -Xmx}
         * @param nativeBytes the child's {@code -XX:MaxDirectMemorySize}
         * @param metaspaceBytes the child's {@code -XX:MaxMetaspaceSize}
         * @param concurrency requests one child runs at once
         */
        public Isolation(Mode mode, long heapBytes, long nativeBytes, long metaspaceBytes, int concurrency) {
            this(mode, heapBytes, nativeBytes, metaspaceBytes, concurrency, null, Map.of());
        }

        /**
         * One request per child.
         *
         * @param mode the tier
         * @param heapBytes the child's {@code -Xmx}
         * @param nativeBytes the child's {@code -XX:MaxDirectMemorySize}
         * @param metaspaceBytes the child's {@code -XX:MaxMetaspaceSize}
         */
        public Isolation(Mode mode, long heapBytes, long nativeBytes, long metaspaceBytes) {
            this(mode, heapBytes, nativeBytes, metaspaceBytes, 1);
        }

        /** @return whether every version runs in a child JVM from the start */
        public boolean process() {
            return mode == Mode.PROCESS;
        }

        /** @return whether versions start in-process and may move to a child */
        public boolean auto() {
            return mode == Mode.AUTO;
        }

        /** @return the tier's name as the settings, {@code /status} and JMX spell it */
        public String tier() {
            return mode.text;
        }

        /** The three tiers. */
        public enum Mode {
            /** Always in this JVM. */
            IN_PROCESS("in-process"),
            /** Always in a child JVM. */
            PROCESS("process"),
            /** In this JVM until a version needs a child. */
            AUTO("auto");

            final String text;

            Mode(String text) {
                this.text = text;
            }
        }
    }

    /**
     * How a route runs deferred work (phase 2: {@code Context.defer} and batchers; see
     * {@link DeferredWork}).
     *
     * @param budgets each piece's budgets: {@code defer.timeout}, {@code defer.cpu}, {@code defer.alloc} (no fuel)
     * @param maxQueue pieces accepted and not yet started (at least 1)
     * @param workers pieces running at once (at least 1)
     * @param drainNanos how long queued pieces may still start once the route is removed or the server stops
     * @param batchSize pending items that make a batcher flush (at least 1)
     * @param batchLingerNanos how long a batcher's oldest pending item waits at most before a flush (more than 0)
     */
    public record Defer(Budgets budgets, int maxQueue, int workers, long drainNanos, int batchSize,
            long batchLingerNanos) {
        /** The built-in defaults. */
        public static final Defer DEFAULT = new Defer(new Budgets(30_000_000_000L, 0, 0, 0), 1000, 2,
                10_000_000_000L, 100, 1_000_000_000L);

        /** @throws IllegalArgumentException on a value out of range */
        public Defer {
            Objects.requireNonNull(budgets, "budgets");
            if (budgets.wallNanos() <= 0 || budgets.fuel() != 0 || maxQueue < 1 || workers < 1 || drainNanos < 0
                    || batchSize < 1 || batchLingerNanos <= 0) {
                throw new IllegalArgumentException("defer needs timeout > 0, no fuel, maxQueue >= 1, workers >= 1,"
                        + " drain >= 0, batch.size >= 1, batch.linger > 0");
            }
        }

        // written out, as WorkerSpec.Caps's: compared with DEFAULT whenever a child's arguments are made
        @Override
        public boolean equals(Object o) {
            return o instanceof Defer d && maxQueue == d.maxQueue && workers == d.workers && drainNanos == d.drainNanos
                    && batchSize == d.batchSize && batchLingerNanos == d.batchLingerNanos && budgets.equals(d.budgets);
        }

        @Override
        public int hashCode() {
            return Objects.hash(budgets, maxQueue, workers, drainNanos, batchSize, batchLingerNanos);
        }

        /**
         * These settings as one {@code worker --defer} argument: {@code key=value} pairs, comma
         * separated, durations in nanoseconds and sizes in bytes; read back by {@link #parse}.
         *
         * @return the argument
         */
        public String toArgument() {
            return "timeout=" + budgets.wallNanos() + ",cpu=" + budgets.cpuNanos() + ",alloc=" + budgets.allocBytes()
                    + ",maxQueue=" + maxQueue + ",workers=" + workers + ",drain=" + drainNanos + ",batchSize="
                    + batchSize + ",batchLinger=" + batchLingerNanos;
        }

        /**
         * Reads what {@link #toArgument} wrote; a key it leaves out keeps its default.
         *
         * @param argument the argument
         * @return the settings
         * @throws IllegalArgumentException naming the pair that is not understood, or a value out of range
         */
        public static Defer parse(String argument) {
            Map<String, Long> v = new HashMap<>();
            for (String pair : argument.split(",")) {
                int eq = pair.indexOf('=');
                try {
                    v.put(pair.substring(0, Math.max(0, eq)).trim(), Long.parseLong(pair.substring(eq + 1).trim()));
                } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                    throw new IllegalArgumentException("--defer takes key=number pairs: " + pair);
                }
            }
            Budgets d = DEFAULT.budgets();
            Defer parsed = new Defer(new Budgets(v.getOrDefault("timeout", d.wallNanos()), v.getOrDefault("cpu", 0L), 0,
                    v.getOrDefault("alloc", 0L)), v.getOrDefault("maxQueue", (long) DEFAULT.maxQueue()).intValue(),
                    v.getOrDefault("workers", (long) DEFAULT.workers()).intValue(),
                    v.getOrDefault("drain", DEFAULT.drainNanos()),
                    v.getOrDefault("batchSize", (long) DEFAULT.batchSize()).intValue(),
                    v.getOrDefault("batchLinger", DEFAULT.batchLingerNanos()));
            v.keySet().removeAll(List.of("timeout", "cpu", "alloc", "maxQueue", "workers", "drain", "batchSize",
                    "batchLinger"));
            if (!v.isEmpty()) {
                throw new IllegalArgumentException("--defer has unknown keys: " + v.keySet());
            }
            return parsed;
        }
    }

    /**
     * What a route's handler is ({@code runtime}) and, for a {@code provided} one, its memory cap
     * ({@code memory}).
     *
     * @param provided whether the handler is a {@code bootstrap} executable served the Lambda
     *     runtime API, rather than a Java class
     * @param memoryBytes the virtual memory each bootstrap process may map, 0 for no cap
     */
    public record FunctionRuntime(boolean provided, long memoryBytes) {
        /** The smallest {@code memory}. */
        public static final long MIN_MEMORY = 16L << 20;
        /** A Java handler class, no memory cap. */
        public static final FunctionRuntime JAVA = new FunctionRuntime(false, 0);
        /** What {@code AWS_LAMBDA_FUNCTION_MEMORY_SIZE} says without a cap: Lambda's own default. */
        public static final int DEFAULT_MEMORY_MB = 128;

        /** @throws IllegalArgumentException on a cap out of range */
        public FunctionRuntime {
            if (memoryBytes != 0 && memoryBytes < MIN_MEMORY) {
                throw new IllegalArgumentException("memory needs 0 (off) or at least 16m");
            }
        }

        /** @return the memory size a Lambda function is told it has, in MiB */
        public int memoryMegabytes() {
            return memoryBytes == 0 ? DEFAULT_MEMORY_MB : (int) Math.min(Integer.MAX_VALUE, memoryBytes >> 20);
        }

        /** @return the name as the settings spell it */
        public String text() {
            return provided ? "provided" : "java";
        }
    }

    /**
     * The response a route answers with while its breaker is open (degradation).
     *
     * @param status 200 to 599
     * @param contentType its content type
     * @param body its body (UTF-8 text)
     */
    public record Fallback(int status, String contentType, String body) {
        /** @throws IllegalArgumentException on a status out of range or a null part */
        public Fallback {
            Objects.requireNonNull(contentType, "contentType");
            Objects.requireNonNull(body, "body");
            if (status < 200 || status > 599) {
                throw new IllegalArgumentException("fallback status must be 200 to 599, not " + status);
            }
        }

        /** @return a fresh response carrying this fallback */
        public Response response() {
            return Response.bytes(status, body.getBytes(StandardCharsets.UTF_8), contentType);
        }
    }

    /**
     * Checks the components (the readers have already checked each with a message naming its file).
     *
     * @throws IllegalArgumentException on a blank handler, a missing part or an out-of-range value
     */
    public RouteSettings {
        Objects.requireNonNull(budgets, "budgets");
        Objects.requireNonNull(breaker, "breaker");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(quarantine, "quarantine");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(isolation, "isolation");
        Objects.requireNonNull(defer, "defer");
        Objects.requireNonNull(runtime, "runtime");
        if (handler == null || (handler.isBlank() && !runtime.provided())) {
            throw new IllegalArgumentException("a route needs a handler class");
        }
        if (budgets.wallNanos() <= 0 || slowNanos < 0 || maxInflight < 1 || maxQueue < 0 || maxBodyBytes < 0
                || maxBodyBytes > MAX_BODY_LIMIT || idleNanos < 0 || pool.max() > maxInflight || !(cpuShare >= 0)
                || Double.isInfinite(cpuShare) || allocRate < 0) {
            throw new IllegalArgumentException("route settings out of range");
        }
    }

    /**
     * Reads a route's file over the global defaults.
     *
     * @param routeFile the route's {@code route.properties}
     * @param defaults the global defaults ({@link RouteDefaults#NONE} for the built-in ones alone)
     * @return the settings
     * @throws SettingsException naming the file, key and value at fault
     */
    public static RouteSettings read(Path routeFile, RouteDefaults defaults) {
        return of(SettingValues.load(routeFile), routeFile, defaults);
    }

    /**
     * Reads a route's settings given as a map.
     *
     * @param route the route's keys and values
     * @param origin the file they were read from (named in errors; relative policy directories
     *     resolve against its folder), or null
     * @param defaults the global defaults
     * @return the settings
     * @throws SettingsException naming the file, key and value at fault
     */
    public static RouteSettings of(Map<String, String> route, Path origin, RouteDefaults defaults) {
        checkKeys(route, origin);
        SettingValues v = defaults.values().over(route, origin);
        if (!v.isSet("handler") && !runtime(v).provided()) {
            throw new SettingsException(origin, null, null,
                    "no handler: name the class implementing dev.ringfence.api.Handler, as handler=com.example.MyHandler"
                    + " (or say runtime=provided for a folder with a bootstrap)");
        }
        return from(v);
    }

    /**
     * Checks that every key is known.
     *
     * @throws SettingsException on an unknown key, with a suggestion when one is close
     */
    static void checkKeys(Map<String, String> layer, Path origin) {
        for (Map.Entry<String, String> e : layer.entrySet()) {
            if (!KEYS.contains(e.getKey())) {
                String close = KeySuggestion.closest(e.getKey(), KEYS);
                throw new SettingsException(origin, e.getKey(), e.getValue(),
                        "unknown key" + (close == null ? " (known: " + String.join(", ", KEYS) + ")"
                                : " (did you mean " + close + "?)"));
            }
        }
    }

    /** Builds the settings from checked keys; every value is parsed and checked here. */
    static RouteSettings from(SettingValues v) {
        FunctionRuntime runtime = runtime(v);
        String handler = runtime.provided() ? (v.isSet("handler") ? v.text("handler").trim() : "") : className(v);
        Isolation isolation = isolation(v);
        Policy policy = PolicySettings.policy(v);
        refuseNativeInProcess(v, policy, isolation);
        if (isolation.tmpDir() != null && !policy.mayWrite(isolation.tmpDir())) {
            throw v.error("tmpdir", "not below a directory of policy.write (what the child puts there must be"
                    + " writable by the route's handler, and nothing else should be)");
        }
        Budgets budgets = new Budgets(v.duration("timeout", 1), v.duration("cpu", 0), v.count("fuel", 0, Long.MAX_VALUE),
                v.size("alloc", Long.MAX_VALUE), isolation.nativeBytes());
        int maxInflight = (int) v.count("maxInflight", 1, 10_000);
        Breaker breaker = new Breaker((int) v.count("breaker.failures", 1, 1_000_000),
                (int) v.count("breaker.successes", 1, 10_000), v.duration("breaker.openFor", 1));
        return new RouteSettings(handler, budgets, v.duration("slow", 0), maxInflight,
                (int) v.count("maxQueue", 0, 100_000), v.size("maxBodyBytes", MAX_BODY_LIMIT), v.duration("idle", 0),
                breaker, retry(v), pool(v, maxInflight, isolation), fallback(v),
                new QuarantineSettings((int) v.count("quarantine.after", 0, 1_000_000), v.duration("quarantine.for", 0)),
                cpuShare(v), v.text("alloc.rate").trim().equals("off") ? 0 : v.size("alloc.rate", Long.MAX_VALUE / 2),
                policy, isolation, defer(v), runtime);
    }

    /**
     * Whether the route's handler may run only in a child JVM, whatever {@code isolation} says:
     * true when its policy lets it load native libraries ({@code policy.native=true}), which only
     * the process tier honours (a native library cannot be unloaded, metered or stopped, and it
     * can reach anything the JVM can). With {@code isolation=auto} a version moves to a child when it
     * asks for a library ({@link AutoTier}); with {@code in-process} the setting is refused.
     *
     * @return true when only the process tier can run this route
     */
    public boolean needsProcess() {
        return policy.nativeLibrariesAllowed();
    }

    /** {@code policy.native=true} is honoured only by the process tier: refused on a route that always runs in this JVM. */
    private static void refuseNativeInProcess(SettingValues v, Policy policy, Isolation isolation) {
        if (policy.nativeLibrariesAllowed() && isolation.mode() == Isolation.Mode.IN_PROCESS) {
            throw v.error("policy.native", "native libraries are allowed only in the process tier (a library loaded"
                    + " in this JVM could not be unloaded, stopped or contained): set isolation=process or auto, or"
                    + " policy.native=false");
        }
    }

    private static Defer defer(SettingValues v) {
        return new Defer(new Budgets(v.duration("defer.timeout", 1), v.duration("defer.cpu", 0), 0,
                v.size("defer.alloc", Long.MAX_VALUE)), (int) v.count("defer.maxQueue", 1, 1_000_000),
                (int) v.count("defer.workers", 1, 256), v.duration("defer.drain", 0),
                (int) v.count("defer.batch.size", 1, 1_000_000), v.duration("defer.batch.linger", 1));
    }

    /** {@code java} or {@code provided}, and the bootstrap's memory cap ({@code off} or a size of at least 16m). */
    private static FunctionRuntime runtime(SettingValues v) {
        String kind = v.text("runtime").trim();
        if (!kind.equals("java") && !kind.equals("provided")) {
            throw v.error("runtime", "not a runtime (java or provided)");
        }
        long memory = 0;
        if (!v.text("memory").trim().equals("off")) {
            memory = v.size("memory", Long.MAX_VALUE / 2);
            if (memory < FunctionRuntime.MIN_MEMORY) {
                throw v.error("memory", "less than 16m (or off for no cap)");
            }
        }
        return new FunctionRuntime(kind.equals("provided"), memory);
    }

    /** {@code auto}, {@code in-process} or {@code process}, and the child's caps (read whatever the tier, so a bad one is found early). */
    private static Isolation isolation(SettingValues v) {
        String tier = v.text("isolation").trim();
        Isolation.Mode mode = null;
        for (Isolation.Mode m : Isolation.Mode.values()) {
            if (m.text.equals(tier)) {
                mode = m;
            }
        }
        if (mode == null) {
            throw v.error("isolation", "not a tier (auto, in-process or process)");
        }
        long heap = v.size("heap", Long.MAX_VALUE / 2);
        if (heap < Isolation.MIN_HEAP) {
            throw v.error("heap", "less than 8m, too small for a JVM");
        }
        long direct = v.size("native", Long.MAX_VALUE / 2);
        if (direct <= 0) {
            throw v.error("native", "must be more than 0");
        }
        long metaspace = v.size("metaspace", Long.MAX_VALUE / 2);
        if (metaspace < Isolation.MIN_METASPACE) {
            throw v.error("metaspace", "less than 16m, too small for a JVM");
        }
        int concurrency = (int) v.count("concurrency", 1, Isolation.MAX_CONCURRENCY);
        return new Isolation(mode, heap, direct, metaspace, concurrency, tmpDir(v, mode), childProperties(v, mode));
    }

    /** Names a route may not set on its child: the JVM's, the JDK's and ringfence's own. */
    private static final List<String> RESERVED_PROPERTY_PREFIXES = List.of("java.", "javax.", "jdk.", "sun.", "com.sun.",
            "ringfence.", "user.", "os.", "file.", "line.", "path.", "native.", "stdout.", "stderr.");

    /**
     * {@code child.properties}: system properties the child JVM starts with, as {@code name=value}
     * pairs separated by commas, {@code ${folder}} in a value replaced by the folder of the file
     * that set it. For a dependency configured only through system properties (which a handler may
     * read but not set); the JVM's, the JDK's and ringfence's own names are refused.
     */
    private static Map<String, String> childProperties(SettingValues v, Isolation.Mode mode) {
        Map<String, String> out = new LinkedHashMap<>();
        Path origin = v.origin("child.properties");
        String folder = origin == null ? "" : origin.toAbsolutePath().getParent().toString();
        for (String pair : v.list("child.properties")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq).trim();
            if (eq < 1 || !name.matches("[A-Za-z0-9_.-]+")) {
                throw v.error("child.properties", "'" + pair + "' is not name=value");
            }
            if (RESERVED_PROPERTY_PREFIXES.stream().anyMatch(name::startsWith)) {
                throw v.error("child.properties", name + " is the JVM's, the JDK's or ringfence's own");
            }
            out.put(name, pair.substring(eq + 1).trim().replace("${folder}", folder));
        }
        if (!out.isEmpty() && mode != Isolation.Mode.PROCESS) {
            throw v.error("child.properties", "system properties are set on the route's child JVM: they need"
                    + " isolation=process");
        }
        return out;
    }

    /**
     * {@code tmpdir}: the child's {@code java.io.tmpdir}, relative to the folder of the file that
     * names it; empty for the system's. Only a child JVM can have its own, so it needs
     * {@code isolation=process}; and only a directory the route may write is of any use, so it
     * must lie below one of {@code policy.write} (checked in {@link #from}).
     */
    private static Path tmpDir(SettingValues v, Isolation.Mode mode) {
        String d = v.text("tmpdir").trim();
        if (d.isEmpty()) {
            return null;
        }
        if (mode != Isolation.Mode.PROCESS) {
            throw v.error("tmpdir", "a temporary directory of the route's own is set on its child JVM: it needs"
                    + " isolation=process");
        }
        return PolicySettings.path(v, "tmpdir", d).toAbsolutePath();
    }

    /** {@code off}, a number of cores, or a percentage of this machine's cores; 0 is off. */
    private static double cpuShare(SettingValues v) {
        String text = v.text("cpu.share").trim();
        if (text.equals("off")) {
            return 0;
        }
        boolean percent = text.endsWith("%");
        double n;
        try {
            n = Double.parseDouble(percent ? text.substring(0, text.length() - 1).trim() : text);
        } catch (NumberFormatException e) {
            n = Double.NaN;
        }
        if (!(n >= 0) || Double.isInfinite(n) || (percent && n > 100)) {
            throw v.error("cpu.share", "not a share of the CPU (like 0.5 or 2 cores, 25% of this machine, or off)");
        }
        int cores = Runtime.getRuntime().availableProcessors();
        double share = percent ? n / 100 * cores : n;
        if (share > cores) {
            throw v.error("cpu.share", "more than this machine's " + cores + " cores");
        }
        return share;
    }

    private static String className(SettingValues v) {
        String name = v.text("handler");
        boolean ok = !name.isEmpty();
        for (String part : name.split("\\.", -1)) {
            ok &= !part.isEmpty() && Character.isJavaIdentifierStart(part.charAt(0))
                    && part.codePoints().allMatch(Character::isJavaIdentifierPart);
        }
        if (!ok) {
            throw v.error("handler", "not a class name (like com.example.MyHandler)");
        }
        return name;
    }

    private static Retry retry(SettingValues v) {
        long base = v.duration("retry.base", 1);
        long cap = v.duration("retry.cap", 1);
        if (cap < base) {
            throw v.error("retry.cap", "less than " + v.describe("retry.base"));
        }
        return new Retry((int) v.count("retry.max", 0, 10), base, cap, v.bool("idempotent"));
    }

    private static Pool pool(SettingValues v, int maxInflight, Isolation isolation) {
        // on the process tier the pool counts children, each running up to `concurrency` requests
        int per = isolation.process() ? isolation.concurrency() : 1;
        if (per > maxInflight) {
            throw v.error("concurrency", "more requests per child than " + v.describe("maxInflight") + " lets run at once");
        }
        int max = isolation.process() ? Math.max(1, Math.min(Isolation.DEFAULT_MAX_CHILDREN, maxInflight / per))
                : maxInflight;
        if (v.isSet("pool.max")) {
            max = (int) v.count("pool.max", 1, Integer.MAX_VALUE);
            if ((long) max * per > maxInflight) {
                throw v.error("pool.max", (isolation.process() ? "more children (times concurrency) than "
                        : "more workers than ") + v.describe("maxInflight") + " lets run at once");
            }
        }
        int min = Math.min(isolation.process() ? 1 : 2, max);
        if (v.isSet("pool.min")) {
            min = (int) v.count("pool.min", 1, Integer.MAX_VALUE);
            if (min > max) {
                throw v.error("pool.min", "more than " + (v.isSet("pool.max") ? v.describe("pool.max")
                        : isolation.process() ? "pool.max, which is " + max + " on the process tier (min("
                                + Isolation.DEFAULT_MAX_CHILDREN + ", maxInflight / concurrency))"
                        : "pool.max, which is " + v.describe("maxInflight")));
            }
        }
        return new Pool(min, max, v.duration("pool.interval", 1), v.duration("pool.cooldown", 0));
    }

    private static Fallback fallback(SettingValues v) {
        if (!v.isSet("fallback.status")) {
            for (String k : List.of("fallback.body", "fallback.contentType")) {
                if (v.isSet(k)) {
                    throw v.error(k, "needs fallback.status (the status to answer with while the breaker is open)");
                }
            }
            return null;
        }
        int status = (int) v.count("fallback.status", 200, 599);
        String type = v.isSet("fallback.contentType") ? v.text("fallback.contentType") : TEXT;
        if (type.isEmpty()) {
            throw v.error("fallback.contentType", "no value");
        }
        return new Fallback(status, type, v.isSet("fallback.body") ? v.text("fallback.body") : "");
    }
}
