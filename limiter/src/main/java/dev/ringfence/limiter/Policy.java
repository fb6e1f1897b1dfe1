package dev.ringfence.limiter;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

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
                String t = s.trim(); // what trim keeps, not what isBlank judges: they disagree on control characters
                if (!t.isEmpty()) {
                    out.add(t);
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

    /**
     * The text of a properties file holding {@link #toProperties}, which
     * {@link Properties#load(java.io.InputStream)} reads back: a comment line and one line per key,
     * sorted. Unlike {@link Properties#store} it writes no timestamp, whose formatting loads the
     * JDK's locale and time-zone data (about 90 classes: in the JVM that records a
     * process-tier child's start-up cache, it put them all in the cache, where every cached child
     * loaded them at start). Every character but a letter, a digit and {@code . , / _ -} is
     * written as a Unicode escape (a backslash, {@code u} and four hex digits), which the reader
     * decodes in keys and values alike.
     *
     * @param comment the first line's comment (escaped likewise)
     * @return the file's bytes (ASCII)
     */
    public byte[] toPropertiesFile(String comment) {
        StringBuilder b = new StringBuilder("#");
        escapeTo(b, comment);
        b.append('\n');
        Properties p = toProperties();
        for (String key : new TreeSet<>(p.stringPropertyNames())) {
            escapeTo(b, key);
            b.append('=');
            escapeTo(b, p.getProperty(key));
            b.append('\n');
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static void escapeTo(StringBuilder b, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == ','
                    || c == '/' || c == '_' || c == '-') {
                b.append(c);
            } else {
                b.append("\\u");
                String hex = Integer.toHexString(c);
                for (int pad = hex.length(); pad < 4; pad++) {
                    b.append('0');
                }
                b.append(hex);
            }
        }
    }

    /**
     * The directories as {@link #fromProperties} reads them back into the same paths: each with a
     * trailing separator, so that a last name ending in white space ({@code policy.read=/srv/ /}
     * reads as the directory named by a space) keeps it through the reader's trimming instead of
     * widening to its parent in a child JVM.
     */
    private static String join(List<Path> dirs) {
        List<String> out = new ArrayList<>();
        for (Path d : dirs) {
            out.add(d.getNameCount() == 0 ? d.toString() : d + d.getFileSystem().getSeparator());
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
