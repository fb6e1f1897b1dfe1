package dev.ringfence.agent.pipeline;

import dev.ringfence.agent.config.Units;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Layered settings (built-in defaults, then the global file, then a route's file; a later layer
 * wins key by key) with typed reads whose errors name the file that set the value, the key and
 * the value. Immutable.
 */
final class SettingValues {
    /** A value as written, and the file it came from (null: a built-in default or a map given in code). */
    record Setting(String value, Path origin) {
    }

    private final Map<String, Setting> settings;

    private SettingValues(Map<String, Setting> settings) {
        this.settings = Collections.unmodifiableMap(settings);
    }

    /**
     * @param builtIn the built-in defaults
     * @return the bottom layer
     */
    static SettingValues builtIn(Map<String, String> builtIn) {
        return new SettingValues(new LinkedHashMap<>()).over(builtIn, null);
    }

    /**
     * @param layer values that win over this layer's
     * @param origin the file they come from, or null
     * @return the merged settings
     */
    SettingValues over(Map<String, String> layer, Path origin) {
        Map<String, Setting> merged = new LinkedHashMap<>(settings);
        layer.forEach((k, v) -> merged.put(k, new Setting(v.trim(), origin)));
        return new SettingValues(merged);
    }

    /**
     * Reads a properties file (UTF-8). A key written twice is an error rather than "last one wins".
     *
     * @param file the file
     * @return its keys and values, in file order, values trimmed
     * @throws SettingsException when the file cannot be read or repeats a key
     */
    static Map<String, String> load(Path file) {
        Map<String, String> out = new LinkedHashMap<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            new NoRepeats(file, out).load(r);
        } catch (NoSuchFileException e) {
            throw new SettingsException(file, null, null, "no such file");
        } catch (CharacterCodingException e) {
            throw new SettingsException(file, null, null, "not UTF-8 text");
        } catch (IOException e) {
            throw new SettingsException(file, null, null, "cannot read: " + e.getMessage());
        } catch (SettingsException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new SettingsException(file, null, null, "not a properties file: " + e.getMessage());
        }
        return out;
    }

    /** Collects what {@link Properties#load} reads, refusing a key seen before. */
    private static final class NoRepeats extends Properties {
        private static final long serialVersionUID = 1L;
        private final transient Path file;
        private final transient Map<String, String> out;

        NoRepeats(Path file, Map<String, String> out) {
            this.file = file;
            this.out = out;
        }

        @Override
        public synchronized Object put(Object key, Object value) {
            String k = (String) key;
            String v = ((String) value).trim();
            String before = out.putIfAbsent(k, v);
            if (before != null) {
                throw new SettingsException(file, k, v, "set twice in this file (first as " + k + "=" + before + ")");
            }
            return super.put(key, value);
        }
    }

    /** @return true when any layer sets the key */
    boolean isSet(String key) {
        return settings.containsKey(key);
    }

    /** @return the value, or null when no layer sets it */
    String text(String key) {
        Setting s = settings.get(key);
        return s == null ? null : s.value();
    }

    /** @return the file that set the key, or null for a built-in default or code */
    Path origin(String key) {
        Setting s = settings.get(key);
        return s == null ? null : s.origin();
    }

    /** @return {@code key=value (set in FILE)}, for errors that involve a second key */
    String describe(String key) {
        return key + "=" + text(key) + " (" + (origin(key) == null ? "built-in default" : "set in " + origin(key)) + ")";
    }

    /**
     * @param key a key some layer sets
     * @param reason why its value cannot be used
     * @return an error naming the key's file, the key and its value
     */
    SettingsException error(String key, String reason) {
        return new SettingsException(origin(key), key, text(key), reason);
    }

    /** A duration ({@code 200ms}, {@code 2s}) of at least {@code min} nanoseconds. */
    long duration(String key, long min) {
        String text = required(key);
        long v;
        try {
            v = Units.nanos(text);
        } catch (ArithmeticException e) {
            throw error(key, "too large");
        } catch (IllegalArgumentException e) {
            throw error(key, "not a duration (like 200ms, 2s, 10m)");
        }
        if (v < min) {
            throw error(key, min == 1 ? "must be more than 0" : "must be at least " + min + " ns");
        }
        return v;
    }

    /** A size ({@code 64m}, {@code 512k}, bytes) of at most {@code max} bytes. */
    long size(String key, long max) {
        String text = required(key);
        long v;
        try {
            v = Units.bytes(text);
        } catch (ArithmeticException e) {
            throw error(key, "too large");
        } catch (IllegalArgumentException e) {
            throw error(key, "not a size (like 64m, 512k, or bytes)");
        }
        if (v > max) {
            throw error(key, "must be at most " + max + " bytes");
        }
        return v;
    }

    /** A whole number in {@code [min, max]}. */
    long count(String key, long min, long max) {
        String text = required(key);
        long v;
        try {
            v = Units.count(text);
        } catch (IllegalArgumentException e) {
            throw error(key, "not a whole number" + (min >= 0 ? " (0 or more)" : ""));
        }
        if (v < min || v > max) {
            throw error(key, "must be between " + min + " and " + max);
        }
        return v;
    }

    /** {@code true} or {@code false}, nothing else. */
    boolean bool(String key) {
        String v = required(key);
        if (!v.equals("true") && !v.equals("false")) {
            throw error(key, "must be true or false");
        }
        return v.equals("true");
    }

    /** A comma-separated list; an empty value is an empty list (a route may clear a global list). */
    List<String> list(String key) {
        List<String> out = new ArrayList<>();
        String v = text(key);
        if (v != null) {
            for (String s : v.split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
        }
        return out;
    }

    private String required(String key) {
        String v = text(key);
        if (v == null) {
            throw new IllegalStateException("no value and no built-in default for " + key);
        }
        if (v.isEmpty()) {
            throw error(key, "no value");
        }
        return v;
    }
}
