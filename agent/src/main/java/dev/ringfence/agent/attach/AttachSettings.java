package dev.ringfence.agent.attach;

import dev.ringfence.agent.config.Units;
import dev.ringfence.api.Budgets;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The settings of {@code attach}: {@code budget.<name>.methods} (required, a comma list of
 * {@link MethodPattern}s), {@code budget.<name>.timeout|cpu|alloc|fuel} (at least one), {@code
 * budget.<name>.instrument} (a comma list of package {@link Glob}s whose method bodies get
 * probes) and {@code budget.<name>.onExceeded=throw|log}; {@code http.port} (and {@code http.host},
 * default 127.0.0.1) to serve {@code /metrics} and {@code /status}. Checked whole by {@link #parse}, in the
 * CLI before anything is attached, and again in the target. Immutable.
 */
public final class AttachSettings {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");
    private static final List<String> FIELDS = List.of("methods", "timeout", "cpu", "alloc", "fuel", "instrument",
            "onExceeded");

    private final Map<String, String> values;
    private final List<MethodBudget> budgets;
    private final int httpPort;
    private final String httpHost;

    private AttachSettings(Map<String, String> values, List<MethodBudget> budgets, int httpPort, String httpHost) {
        this.values = values;
        this.budgets = budgets;
        this.httpPort = httpPort;
        this.httpHost = httpHost;
    }

    /**
     * Checks and reads settings.
     *
     * @param values the settings
     * @return the settings
     * @throws IllegalArgumentException naming the first bad key and value
     */
    public static AttachSettings parse(Map<String, String> values) {
        Map<String, Map<String, String>> groups = new TreeMap<>();
        for (Map.Entry<String, String> e : new TreeMap<>(values).entrySet()) {
            String key = e.getKey();
            if (key.equals("http.port") || key.equals("http.host")) {
                continue;
            }
            String[] parts = key.split("\\.", -1);
            if (parts.length != 3 || !parts[0].equals("budget") || !NAME.matcher(parts[1]).matches()
                    || !FIELDS.contains(parts[2])) {
                throw new IllegalArgumentException("unknown attach setting '" + key + "' (known: budget.<name>."
                        + String.join("|", FIELDS) + ", http.port, http.host)");
            }
            groups.computeIfAbsent(parts[1], n -> new TreeMap<>()).put(parts[2], e.getValue().trim());
        }
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("no budget to attach: set budget.<name>.methods and a budget, "
                    + "like budget.plugins.methods=com.acme.Plugins#run budget.plugins.timeout=2s");
        }
        List<MethodBudget> out = new ArrayList<>();
        groups.forEach((name, g) -> out.add(budget(name, g)));
        String port = values.get("http.port");
        int httpPort = port == null ? -1 : checked("http.port", port, () -> port(port));
        String host = values.getOrDefault("http.host", "127.0.0.1");
        if (values.containsKey("http.host") && port == null) {
            throw new IllegalArgumentException("http.host=" + host + " needs http.port as well");
        }
        return new AttachSettings(Map.copyOf(values), List.copyOf(out), httpPort, host);
    }

    private static int port(String text) {
        long p = Units.count(text);
        if (p > 65_535) {
            throw new IllegalArgumentException("not a port: " + text);
        }
        return (int) p;
    }

    private static MethodBudget budget(String name, Map<String, String> g) {
        String prefix = "budget." + name + ".";
        String methods = g.get("methods");
        if (methods == null || methods.isEmpty()) {
            throw new IllegalArgumentException(prefix + "methods is missing: name the budgeted methods, like "
                    + prefix + "methods=com.acme.Plugins#run");
        }
        List<MethodPattern> patterns = new ArrayList<>();
        for (String m : list(methods)) {
            patterns.add(checked(prefix + "methods", m, () -> MethodPattern.of(m)));
        }
        List<Glob> instrument = new ArrayList<>();
        for (String p : list(g.getOrDefault("instrument", ""))) {
            instrument.add(checked(prefix + "instrument", p, () -> Glob.of(p)));
        }
        long timeout = amount(g, prefix, "timeout", Units::nanos);
        long cpu = amount(g, prefix, "cpu", Units::nanos);
        long alloc = amount(g, prefix, "alloc", Units::bytes);
        long fuel = amount(g, prefix, "fuel", Units::count);
        if (timeout == 0 && cpu == 0 && alloc == 0 && fuel == 0) {
            throw new IllegalArgumentException("budget '" + name + "' has no limit: set " + prefix + "timeout, "
                    + prefix + "cpu, " + prefix + "alloc or " + prefix + "fuel");
        }
        String on = g.getOrDefault("onExceeded", "throw");
        if (!on.equals("throw") && !on.equals("log")) {
            throw new IllegalArgumentException(prefix + "onExceeded must be throw or log, not '" + on + "'");
        }
        return new MethodBudget(name, List.copyOf(patterns), new Budgets(timeout, cpu, fuel, alloc), List.copyOf(instrument),
                on.equals("throw"));
    }

    private static long amount(Map<String, String> g, String prefix, String field,
            java.util.function.ToLongFunction<String> unit) {
        String v = g.get(field);
        return v == null ? 0 : checked(prefix + field, v, () -> unit.applyAsLong(v));
    }

    private static <T> T checked(String key, String value, java.util.function.Supplier<T> read) {
        try {
            return read.get();
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException(key + "=" + value + ": " + e.getMessage());
        }
    }

    private static List<String> list(String csv) {
        List<String> out = new ArrayList<>();
        for (String s : csv.split(",")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return out;
    }

    /**
     * Reads the CLI's settings: a properties file (or none) overridden by {@code key=value} arguments.
     *
     * @param file the {@code --config} file, or null
     * @param inline the {@code key=value} arguments
     * @return the settings
     * @throws IllegalArgumentException when the file cannot be read, an argument is not key=value
     *     or a setting is bad
     */
    public static AttachSettings read(Path file, List<String> inline) {
        Map<String, String> all = new TreeMap<>();
        if (file != null) {
            all.putAll(load(file));
        }
        for (String pair : inline) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("attach setting '" + pair + "' is not key=value");
            }
            all.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        return parse(all);
    }

    /**
     * Reads a properties file.
     *
     * @param file the file
     * @return its settings
     * @throws IllegalArgumentException when it cannot be read
     */
    static Map<String, String> load(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read attach config " + file + ": " + e);
        }
        Map<String, String> out = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k).trim()));
        return out;
    }

    /**
     * Writes these settings to a properties file, for the target JVM to read.
     *
     * @param file the file
     * @throws IOException when it cannot be written
     */
    public void store(Path file) throws IOException {
        Properties p = new Properties();
        p.putAll(values);
        try (Writer w = Files.newBufferedWriter(file)) {
            p.store(w, "ringfence attach");
        }
    }

    /** @return the port of {@code /metrics} and {@code /status} (0: any free one), or -1 for none */
    int httpPort() {
        return httpPort;
    }

    /** @return the address {@code /metrics} and {@code /status} bind */
    String httpHost() {
        return httpHost;
    }

    /** @return the budgets, in name order */
    List<MethodBudget> budgets() {
        return budgets;
    }
}
