package dev.ringfence.agent.pipeline;

import dev.ringfence.limiter.Policy;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Builds a route's {@link Policy} the way {@code invoke --policy} does, after checking each entry
 * with errors that name the file, key and value. Relative directories resolve against the folder of
 * the file that names them, not the working directory.
 */
final class PolicySettings {
    private PolicySettings() {
    }

    /** @return the policy the {@code policy.*} settings describe */
    static Policy policy(SettingValues v) {
        Properties p = new Properties();
        p.setProperty("policy.read", dirs(v, "policy.read"));
        p.setProperty("policy.write", dirs(v, "policy.write"));
        for (String h : v.list("policy.hosts")) {
            host(v, h);
        }
        p.setProperty("policy.hosts", String.join(",", v.list("policy.hosts")));
        for (String e : v.list("policy.env")) {
            if (e.indexOf('=') >= 0 || e.chars().anyMatch(Character::isWhitespace)) {
                throw v.error("policy.env", "'" + e + "' is not an environment variable name");
            }
        }
        p.setProperty("policy.env", String.join(",", v.list("policy.env")));
        p.setProperty("policy.threads", Boolean.toString(v.bool("policy.threads")));
        p.setProperty("policy.native", Boolean.toString(v.bool("policy.native")));
        return Policy.fromProperties(p);
    }

    private static String dirs(SettingValues v, String key) {
        List<String> out = new ArrayList<>();
        for (String d : v.list(key)) {
            out.add(path(v, key, d).toString());
        }
        return String.join(",", out);
    }

    /**
     * @param v the settings
     * @param key the key that names a directory
     * @param d the directory as written
     * @return it resolved against the folder of the file that set the key, normalised
     * @throws SettingsException when it is not a path
     */
    static Path path(SettingValues v, String key, String d) {
        Path base = v.origin(key) == null ? null : v.origin(key).toAbsolutePath().getParent();
        try {
            Path p = Path.of(d);
            return (p.isAbsolute() || base == null ? p : base.resolve(p)).normalize();
        } catch (InvalidPathException e) {
            throw v.error(key, "'" + d + "' is not a path");
        }
    }

    private static void host(SettingValues v, String h) {
        if (h.chars().anyMatch(Character::isWhitespace)) {
            throw v.error("policy.hosts", "'" + h + "' is not a host or host:port");
        }
        int colon = h.indexOf(':');
        if (colon >= 0 && colon == h.lastIndexOf(':')) {
            String port = h.substring(colon + 1);
            boolean ok = colon > 0 && !port.isEmpty() && port.length() <= 5 && port.chars().allMatch(Character::isDigit)
                    && Integer.parseInt(port) >= 1 && Integer.parseInt(port) <= 65535;
            if (!ok) {
                throw v.error("policy.hosts", "'" + h + "' is not a host or host:port (port 1 to 65535)");
            }
        }
    }
}
