package dev.ringfence.agent.pipeline;

import java.nio.file.Path;

/**
 * A route setting that cannot be used. The one-line message names the file, the key and the value
 * ({@code /srv/routes/hello/route.properties: maxQueue=lots: not a whole number}), so it can go
 * to a log line or {@code /status} as it is.
 */
public final class SettingsException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Where a value came from when no file set it. */
    static final String BUILT_IN = "(built-in default)";

    private final transient Path file;
    private final String key;
    private final String value;

    /**
     * @param file the file the setting came from, or null for a built-in default or a map given in code
     * @param key the key, or null when the whole file is at fault
     * @param value the value as written, or null when the whole file is at fault
     * @param reason why it cannot be used
     */
    SettingsException(Path file, String key, String value, String reason) {
        super(where(file) + ": " + (key == null ? "" : key + "=" + value + ": ") + reason);
        this.file = file;
        this.key = key;
        this.value = value;
    }

    static String where(Path file) {
        return file == null ? BUILT_IN : file.toString();
    }

    /** @return the file at fault, or null for a built-in default or a map given in code */
    public Path file() {
        return file;
    }

    /** @return the key at fault, or null when the whole file is (unreadable, malformed) */
    public String key() {
        return key;
    }

    /** @return the value as written, or null when the whole file is at fault */
    public String value() {
        return value;
    }
}
