package dev.ringfence.limiter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;

/**
 * What a handler may do beyond pure computation. The default denies everything: no files, no
 * network, no environment variables, no threads, no native libraries. Allow-lists widen it per
 * route. Immutable.
 *
 * <p>Properties (all optional, lists separated by commas):
 * <ul>
 *   <li>{@code policy.read} directories the handler may read below</li>
 *   <li>{@code policy.write} directories the handler may read and write below</li>
 *   <li>{@code policy.hosts} {@code host} or {@code host:port} it may connect to</li>
 *   <li>{@code policy.env} environment variable names it may read</li>
 *   <li>{@code policy.threads} {@code true} to let it start threads (they run unmetered: use with care)</li>
 *   <li>{@code policy.native} {@code true} to let it load native libraries (honoured only by the process tier)</li>
 * </ul>
 */
public final class Policy {
    /** Denies everything. */
    public static final Policy DENY_ALL = new Policy(List.of(), List.of(), Set.of(), Set.of(), false, false);

    private final List<Path> readDirs;
    private final List<Path> writeDirs;
    private final Set<String> hosts;
    private final Set<String> env;
    private final boolean threads;
    private final boolean nativeLibraries;

    private Policy(List<Path> readDirs, List<Path> writeDirs, Set<String> hosts, Set<String> env,
            boolean threads, boolean nativeLibraries) {
        this.readDirs = List.copyOf(readDirs);
        this.writeDirs = List.copyOf(writeDirs);
        this.hosts = Collections.unmodifiableSet(new LinkedHashSet<>(hosts));
        this.env = Collections.unmodifiableSet(new LinkedHashSet<>(env));
        this.threads = threads;
        this.nativeLibraries = nativeLibraries;
    }

    /**
     * Reads a policy from properties.
     *
     * @param p the properties
     * @return the policy
     * @throws IllegalArgumentException on a value it cannot read
     */
    public static Policy fromProperties(Properties p) {
        List<Path> read = new ArrayList<>();
        for (String d : list(p.getProperty("policy.read"))) {
            read.add(dir(d));
        }
        List<Path> write = new ArrayList<>();
        for (String d : list(p.getProperty("policy.write"))) {
            write.add(dir(d));
        }
        Set<String> hosts = new LinkedHashSet<>();
        for (String h : list(p.getProperty("policy.hosts"))) {
            hosts.add(h.toLowerCase(Locale.ROOT));
        }
        Set<String> env = new LinkedHashSet<>(list(p.getProperty("policy.env")));
        return new Policy(read, write, hosts, env, bool(p, "policy.threads"), bool(p, "policy.native"));
    }

    private static boolean bool(Properties p, String key) {
        String v = p.getProperty(key, "false").trim();
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException(key + " must be true or false, not '" + v + "'");
        }
        return Boolean.parseBoolean(v);
    }

    private static Path dir(String d) {
        return Path.of(d).toAbsolutePath().normalize();
    }

    private static List<String> list(String v) {
        List<String> out = new ArrayList<>();
        if (v != null) {
            for (String s : v.split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
        }
        return out;
    }

    /**
     * Whether the handler may read a file.
     *
     * @param file an absolute, normalised path
     * @return true below a read or write directory
     */
    public boolean mayRead(Path file) {
        return below(file, readDirs) || below(file, writeDirs);
    }

    /**
     * Whether the handler may create, change or delete a file.
     *
     * @param file an absolute, normalised path
     * @return true below a write directory
     */
    public boolean mayWrite(Path file) {
        return below(file, writeDirs);
    }

    private static boolean below(Path file, List<Path> dirs) {
        for (Path d : dirs) {
            if (file.startsWith(d)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the handler may connect to a host.
     *
     * @param host a host name or literal address
     * @param port the port, or -1 for "any port" (name resolution)
     * @return true when {@code host} or {@code host:port} is on the allow-list
     */
    public boolean mayConnect(String host, int port) {
        String h = host.toLowerCase(Locale.ROOT);
        if (hosts.contains(h)) {
            return true;
        }
        if (port < 0) {
            for (String allowed : hosts) {
                if (allowed.startsWith(h + ":")) {
                    return true;
                }
            }
            return false;
        }
        return hosts.contains(h + ":" + port);
    }

    /** @return true when any host is allowed, so sockets may be created at all */
    public boolean anyNetwork() {
        return !hosts.isEmpty();
    }

    /**
     * Whether the handler may read an environment variable.
     *
     * @param name the variable
     * @return true when it is on the allow-list
     */
    public boolean mayReadEnv(String name) {
        return env.contains(name);
    }

    /** @return true when the handler may start threads */
    public boolean threadsAllowed() {
        return threads;
    }

    /** @return true when the handler may load native libraries (process tier only) */
    public boolean nativeLibrariesAllowed() {
        return nativeLibraries;
    }

    /**
     * The properties {@link #fromProperties} reads back into an equal policy (same fingerprint):
     * how a policy travels to a child JVM of the process tier.
     *
     * @return fresh properties
     */
    public Properties toProperties() {
        Properties p = new Properties();
        p.setProperty("policy.read", join(readDirs));
        p.setProperty("policy.write", join(writeDirs));
        p.setProperty("policy.hosts", String.join(",", hosts));
        p.setProperty("policy.env", String.join(",", env));
        p.setProperty("policy.threads", Boolean.toString(threads));
        p.setProperty("policy.native", Boolean.toString(nativeLibraries));
        return p;
    }

    private static String join(List<Path> dirs) {
        List<String> out = new ArrayList<>();
        for (Path d : dirs) {
            out.add(d.toString());
        }
        return String.join(",", out);
    }

    /**
     * A stable text form, part of the instrumentation cache key.
     *
     * @return the fingerprint
     */
    public String fingerprint() {
        return "read=" + readDirs + ";write=" + writeDirs + ";hosts=" + hosts + ";env=" + env
                + ";threads=" + threads + ";native=" + nativeLibraries;
    }

    @Override
    public String toString() {
        return "Policy[" + fingerprint() + "]";
    }
}
