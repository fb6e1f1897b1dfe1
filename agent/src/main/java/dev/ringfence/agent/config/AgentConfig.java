package dev.ringfence.agent.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * The agent's settings: {@code -javaagent:ringfence-agent.jar=key=value,key=value}, where
 * {@code config=FILE} names a properties file whose settings the inline ones override.
 * {@code gates=on|off} turns the capability gates on (the default) or off; {@code serve=DIR}
 * starts the {@code serve} runtime on a routes directory, and then every other key is a server
 * setting ({@code port}, {@code host}, {@code threads}, {@code drain}) or a route default, checked
 * by the runtime. Immutable once read.
 */
public final class AgentConfig {
    /** The keys the agent itself understands; with {@code serve}, the others go to the runtime. */
    public static final Set<String> KEYS = Set.of("config", "gates", "serve");

    private final Map<String, String> values;

    private AgentConfig(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    /**
     * Reads agent arguments.
     *
     * @param args the agent argument string, possibly null or empty
     * @return the configuration
     * @throws IllegalArgumentException with a one-line message for a malformed pair, an unknown
     *     key or an unreadable config file
     */
    public static AgentConfig parse(String args) {
        Map<String, String> inline = new TreeMap<>();
        if (args != null && !args.isBlank()) {
            for (String pair : args.split(",")) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("agent argument '" + pair + "' is not key=value");
                }
                inline.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
        }
        Map<String, String> all = new TreeMap<>();
        String file = inline.get("config");
        if (file != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(Path.of(file))) {
                p.load(r);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read agent config " + file + ": " + e.getMessage());
            }
            p.stringPropertyNames().forEach(k -> all.put(k, p.getProperty(k).trim()));
        }
        all.putAll(inline);
        for (String k : all.keySet()) {
            if (!KEYS.contains(k) && !all.containsKey("serve")) {
                throw new IllegalArgumentException("unknown agent setting '" + k
                        + "' (known: config=FILE, gates=on|off, serve=DIR and, with serve, its settings)");
            }
        }
        if (all.containsKey("serve") && all.get("serve").isEmpty()) {
            throw new IllegalArgumentException("serve needs a routes directory: serve=DIR");
        }
        String gates = all.getOrDefault("gates", "on");
        if (!gates.equals("on") && !gates.equals("off")) {
            throw new IllegalArgumentException("gates must be on or off, not '" + gates + "'");
        }
        return new AgentConfig(all);
    }

    /**
     * @param key a setting
     * @return its value, or null
     */
    public String get(String key) {
        return values.get(key);
    }

    /** @return the routes directory of {@code serve=DIR}, or null when the agent does not serve */
    public String serveDir() {
        return values.get("serve");
    }

    /** @return the settings for the {@code serve} runtime: every key but the agent's own */
    public Map<String, String> serveSettings() {
        Map<String, String> m = new TreeMap<>(values);
        m.keySet().removeAll(KEYS);
        return m;
    }

    /** @return false when {@code gates=off}: the agent then installs nothing and the sandbox refuses to run */
    public boolean gatesOn() {
        return !"off".equals(values.get("gates"));
    }

}
