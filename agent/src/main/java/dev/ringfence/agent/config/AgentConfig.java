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
 * Immutable once read.
 */
public final class AgentConfig {
    /** The keys the agent understands. */
    public static final Set<String> KEYS = Set.of("config", "gates");

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
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException("unknown agent setting '" + k + "' (known: config=FILE, gates=on|off)");
            }
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

    /** @return false when {@code gates=off}: the agent then installs nothing and the sandbox refuses to run */
    public boolean gatesOn() {
        return !"off".equals(values.get("gates"));
    }

}
