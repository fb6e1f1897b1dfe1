package dev.ringfence.agent.pipeline;

import java.nio.file.Path;
import java.util.Map;

/**
 * The global defaults every route starts from: the built-in ones (see {@link RouteSettings}),
 * overridden by a global settings file. Checked when read — every value parses and the defaults
 * make a consistent route on their own — so a bad global value is reported once, at start-up,
 * naming the global file. Immutable.
 *
 * <p>The file takes the keys of {@link RouteSettings#KEYS} except {@code handler}, which belongs
 * to one route. A server configuration that mixes its own keys with route defaults passes only
 * the route keys to {@link #of}.
 */
public final class RouteDefaults {
    /** The built-in defaults alone. */
    public static final RouteDefaults NONE = new RouteDefaults(RouteSettings.BUILT_IN);

    /** Stands in for the handler while the defaults are checked as a route of their own. */
    private static final Map<String, String> PLACEHOLDER = Map.of("handler", "Defaults");

    private final SettingValues values;

    private RouteDefaults(SettingValues values) {
        this.values = values;
    }

    /**
     * Reads a global defaults file.
     *
     * @param file a properties file
     * @return the defaults
     * @throws SettingsException naming the file, key and value at fault
     */
    public static RouteDefaults read(Path file) {
        return of(SettingValues.load(file), file);
    }

    /**
     * Takes global defaults given as a map.
     *
     * @param defaults route keys and values
     * @param origin the file they come from (named in errors; relative policy directories
     *     resolve against its folder), or null
     * @return the defaults
     * @throws SettingsException naming the file, key and value at fault
     */
    public static RouteDefaults of(Map<String, String> defaults, Path origin) {
        RouteSettings.checkKeys(defaults, origin);
        if (defaults.containsKey("handler")) {
            throw new SettingsException(origin, "handler", defaults.get("handler"),
                    "a handler belongs to one route: set it in that route's " + RouteSettings.FILE_NAME);
        }
        SettingValues v = RouteSettings.BUILT_IN.over(defaults, origin);
        RouteSettings.from(v.over(PLACEHOLDER, null));
        return new RouteDefaults(v);
    }

    SettingValues values() {
        return values;
    }
}
