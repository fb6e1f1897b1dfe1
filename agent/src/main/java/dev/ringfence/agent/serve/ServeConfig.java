package dev.ringfence.agent.serve;

import dev.ringfence.agent.config.Units;
import dev.ringfence.agent.pipeline.MemoryLimits;
import dev.ringfence.agent.pipeline.RouteDefaults;
import dev.ringfence.agent.pipeline.RouteSettings;
import dev.ringfence.agent.pipeline.SettingsException;
import dev.ringfence.agent.process.StartupCache;
import java.io.IOException;
import java.io.Reader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The server's settings: where the routes are, where to listen, and the defaults every route
 * starts from. A settings file ({@code serve --config FILE}, or the agent's {@code config=FILE})
 * holds the server keys below and any route key but {@code handler}, as a global default.
 *
 * <table>
 *   <caption>Server keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code port}</td><td>{@code 8080}</td><td>0 to 65535; 0 picks a free port</td></tr>
 *   <tr><td>{@code host}</td><td>{@code 127.0.0.1}</td><td>the address to bind</td></tr>
 *   <tr><td>{@code threads}</td><td>{@code 256}</td><td>HTTP worker threads, 1 to 10000 (queued
 *       requests hold one while they wait, so allow for every route's maxInflight + maxQueue)</td></tr>
 *   <tr><td>{@code drain}</td><td>{@code 10s}</td><td>how long a stop waits for requests in flight</td></tr>
 *   <tr><td>{@code memory.soft}, {@code memory.hard}, {@code memory.interval}</td><td>{@code 80%},
 *       {@code 95%}, {@code 5s}</td><td>the heap's limits and how often it is read ({@link MemoryLimits});
 *       sizes must fit this JVM's maximum heap</td></tr>
 *   <tr><td>{@code worker.cache}</td><td>{@code ~/.cache/ringfence/startup}</td><td>the process tier's
 *       start-up cache of child JVMs ({@link StartupCache}): a directory, or {@code off} for plain starts</td></tr>
 *   <tr><td>{@code worker.cache.max}, {@code worker.cache.ttl}</td><td>{@code 512m}, {@code 7d}</td><td>the
 *       bound on its entries' bytes (least recently used evicted first) and how long an entry lives
 *       ({@code d} and {@code h} besides the usual duration units)</td></tr>
 * </table>
 *
 * @param routesDir the routes directory
 * @param host the address to bind
 * @param port the port, 0 for any free one
 * @param threads HTTP worker threads
 * @param drainNanos how long a stop waits for requests in flight
 * @param defaults the global route defaults
 * @param memory the heap's limits
 * @param workerCache the process tier's start-up cache, or null when it is off
 */
public record ServeConfig(Path routesDir, String host, int port, int threads, long drainNanos, RouteDefaults defaults,
        MemoryLimits memory, StartupCache workerCache) {
    /** The keys that configure the server rather than a route. */
    public static final Set<String> SERVER_KEYS = Set.of("port", "host", "threads", "drain", "memory.soft", "memory.hard",
            "memory.interval", "worker.cache", "worker.cache.max", "worker.cache.ttl");

    /**
     * Reads server settings.
     *
     * @param routesDir the routes directory
     * @param values server keys and route defaults, as written
     * @param origin the file they come from (named in errors), or null
     * @return the settings
     * @throws IllegalArgumentException with a one-line message naming the key and value at fault
     *     (a {@link dev.ringfence.agent.pipeline.SettingsException} for route keys)
     */
    public static ServeConfig of(Path routesDir, Map<String, String> values, Path origin) {
        Map<String, String> routeKeys = new LinkedHashMap<>();
        String where = origin == null ? "" : origin + ": ";
        for (Map.Entry<String, String> e : values.entrySet()) {
            if (!SERVER_KEYS.contains(e.getKey())) {
                routeKeys.put(e.getKey(), e.getValue());
            }
        }
        int port = (int) number(where, "port", values.getOrDefault("port", "8080"), 0, 65535);
        String host = values.getOrDefault("host", "127.0.0.1").trim();
        if (host.isEmpty()) {
            throw new IllegalArgumentException(where + "host=: no value");
        }
        int threads = (int) number(where, "threads", values.getOrDefault("threads", "256"), 1, 10_000);
        long drain;
        try {
            drain = Units.nanos(values.getOrDefault("drain", "10s"));
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException(where + "drain=" + values.get("drain") + ": not a duration (like 10s)");
        }
        MemoryLimits memory = MemoryLimits.of(values, where)
                .check(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax(), where);
        RouteDefaults defaults;
        try {
            defaults = RouteDefaults.of(routeKeys, origin);
        } catch (SettingsException e) {
            if (e.key() != null && !RouteSettings.KEYS.contains(e.key())) {
                throw new IllegalArgumentException(e.getMessage() + "; the server's own keys are "
                        + String.join(", ", new TreeSet<>(SERVER_KEYS)), e);
            }
            throw e;
        }
        return new ServeConfig(routesDir, host, port, threads, drain, defaults, memory, workerCache(values, where));
    }

    private static StartupCache workerCache(Map<String, String> values, String where) {
        String dir = values.getOrDefault("worker.cache", "").trim();
        if (dir.equals("off")) {
            return null;
        }
        long max;
        try {
            max = Units.bytes(values.getOrDefault("worker.cache.max", "512m"));
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException(where + "worker.cache.max=" + values.get("worker.cache.max")
                    + ": not a size (like 512m)");
        }
        String ttlText = values.getOrDefault("worker.cache.ttl", "7d").trim();
        Duration ttl;
        try {
            ttl = ttlText.endsWith("d") ? Duration.ofDays(Long.parseLong(ttlText.substring(0, ttlText.length() - 1)))
                    : ttlText.endsWith("h") ? Duration.ofHours(Long.parseLong(ttlText.substring(0, ttlText.length() - 1)))
                    : Duration.ofNanos(Units.nanos(ttlText));
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException(where + "worker.cache.ttl=" + ttlText + ": not a duration (like 7d, 12h, 30m)");
        }
        if (max <= 0 || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException(where + "worker.cache.max and worker.cache.ttl must be positive");
        }
        return new StartupCache(dir.isEmpty() ? StartupCache.defaultDirectory() : Path.of(dir), max, ttl);
    }

    /**
     * Reads a settings file (UTF-8 properties).
     *
     * @param file the file
     * @return its keys and values, trimmed
     * @throws IllegalArgumentException when it cannot be read
     */
    public static Map<String, String> readFile(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot read settings file " + file + ": " + e.getMessage());
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : p.stringPropertyNames()) {
            out.put(k, p.getProperty(k).trim());
        }
        return out;
    }

    private static long number(String where, String key, String text, long min, long max) {
        long v;
        try {
            v = Units.count(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + key + "=" + text + ": not a whole number");
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException(where + key + "=" + text + ": must be between " + min + " and " + max);
        }
        return v;
    }
}
