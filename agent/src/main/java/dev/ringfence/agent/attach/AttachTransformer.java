package dev.ringfence.agent.attach;

import dev.ringfence.limiter.Instrumenter;
import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Transforms the host's classes an attach names: the method bodies of the configured packages
 * get probes ({@link Instrumenter#bodiesOnly}), and budgeted methods get their wrapper
 * ({@link BudgetWeaver}); every result is verified before the JVM sees it. Remembers what it
 * transformed (names and the bytes it was handed) so that detach can restore and check them.
 * A class it cannot transform is left as it was and reported. Thread-safe.
 */
final class AttachTransformer implements ClassFileTransformer {
    /** Never transformed, whatever the settings say: the JDK's own packages and ringfence's. */
    private static final List<String> NEVER = List.of("java.", "javax.", "jdk.", "sun.", "com.sun.", "dev.ringfence.agent.",
            "dev.ringfence.boot.", "dev.ringfence.limiter.", "dev.ringfence.loader.", "dev.ringfence.shaded.", "dev.ringfence.api.",
            "dev.ringfence.jfr.");

    private final SiteTable sites;
    private final Instrumenter bodies = Instrumenter.bodiesOnly(BudgetWeaver.PROBES);
    private final Map<String, byte[]> originals = new ConcurrentHashMap<>();
    private final Set<String> transformed = ConcurrentHashMap.newKeySet();
    private final List<String> lines = new ArrayList<>(); // guarded by itself
    private final List<String> errors = new ArrayList<>(); // guarded by lines

    AttachTransformer(SiteTable sites) {
        this.sites = sites;
    }

    /**
     * @param className a dotted class name
     * @return true when the settings name the class, for budgets or instrumentation
     */
    boolean wants(String className) {
        for (String p : NEVER) {
            if (className.startsWith(p)) {
                return false;
            }
        }
        return sites.namesClass(className) || sites.instruments(className);
    }

    @Override
    public byte[] transform(ClassLoader loader, String internalName, Class<?> redefined, ProtectionDomain domain,
            byte[] classFile) {
        if (internalName == null) {
            return null;
        }
        String name = internalName.replace('/', '.');
        if (!wants(name)) {
            return null;
        }
        try {
            byte[] bytes = classFile;
            List<String> what = new ArrayList<>();
            if (sites.instruments(name)) {
                bytes = bodies.instrument(bytes).bytes();
                what.add("instrumented " + name);
            }
            BudgetWeaver.Result woven = BudgetWeaver.weave(bytes, sites);
            if (woven.bytes() != null) {
                bytes = woven.bytes();
                woven.wrapped().forEach(m -> what.add("budgeted " + name + "#" + m));
            }
            woven.refused().forEach(m -> note(null, "error: cannot budget " + name + "#" + m));
            if (what.isEmpty()) {
                return null;
            }
            List<String> problems = Instrumenter.verify(bytes);
            if (!problems.isEmpty()) {
                note(null, "error: left " + name + " as it was: the transformed class does not verify: " + problems.get(0));
                return null;
            }
            originals.putIfAbsent(key(loader, name), classFile.clone());
            transformed.add(name);
            what.forEach(w -> note(w, null));
            return bytes;
        } catch (RuntimeException | LinkageError e) {
            note(null, "error: left " + name + " as it was: " + e.getMessage());
            return null;
        }
    }

    private void note(String line, String error) {
        synchronized (lines) {
            if (line != null && !lines.contains(line)) {
                lines.add(line);
            }
            if (error != null && !errors.contains(error)) {
                errors.add(error);
            }
        }
    }

    static String key(ClassLoader loader, String className) {
        return className + "@" + (loader == null ? 0 : System.identityHashCode(loader));
    }

    /** @return what was transformed so far, one line per class or method, in order */
    List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /** @return what could not be transformed, one line per class or method */
    List<String> errors() {
        synchronized (lines) {
            return List.copyOf(errors);
        }
    }

    /** @return the dotted names of the classes transformed */
    Set<String> transformed() {
        return Set.copyOf(transformed);
    }

    /**
     * @param loader a class's loader
     * @param className its dotted name
     * @return the class file this transformer was first handed for it, or null
     */
    byte[] original(ClassLoader loader, String className) {
        return originals.get(key(loader, className));
    }
}
