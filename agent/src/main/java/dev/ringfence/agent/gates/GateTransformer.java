package dev.ringfence.agent.gates;

import dev.ringfence.limiter.GateStatus;
import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Weaves gates into the JDK classes the table names, when they load and when they are
 * retransformed. Never throws into the JVM: a class that cannot be woven is reported once on
 * stderr, recorded, and left as it was, and the gates are marked broken
 * ({@link GateStatus#markBroken}): during installation the agent then refuses to mark the sandbox
 * ready; later (a class woven lazily at its first load, or redefined by someone else) no handler
 * code runs from then on.
 *
 * <p>Thread-safe: the JVM may call it from several threads at once.
 */
final class GateTransformer implements ClassFileTransformer {
    private final ClassLoader platform = ClassLoader.getPlatformClassLoader();
    private final Set<String> owners = GateTable.owners();
    private final Set<String> reported = ConcurrentHashMap.newKeySet();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final WovenGates prewoven;
    private final WovenGates recorder;
    private final OnFailure onFailure;

    /** What a class that cannot be woven does to this JVM. */
    enum OnFailure {
        /** Recorded only: where nothing runs handler code (tests). */
        RECORD,
        /** The gates are marked broken ({@link GateStatus#markBroken}): no handler code runs from then on. */
        STOP_SANDBOX,
        /**
         * Marked broken, and the JVM halts ({@link Gates#EXIT_GATES_BROKEN}): a process-tier child,
         * whose gates are woven as their classes load, so that the invocation whose code is loading
         * the class cannot go on through it ungated; the server replaces the child.
         */
        HALT
    }

    /**
     * @param prewoven classes another JVM wove (used when their original bytes match), or null
     * @param recorder where to record what this transformer weaves, or null
     * @param onFailure what a class that cannot be woven does
     */
    GateTransformer(WovenGates prewoven, WovenGates recorder, OnFailure onFailure) {
        this.prewoven = prewoven;
        this.recorder = recorder;
        this.onFailure = onFailure;
    }

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> redefined, ProtectionDomain domain,
            byte[] classFile) {
        if (className == null || (loader != null && loader != platform) || !owners.contains(className)) {
            return null;
        }
        try {
            byte[] ready = prewoven == null ? null : prewoven.wovenFor(className, classFile);
            if (ready != null) {
                return ready;
            }
            GateWeaver.Woven w = GateWeaver.weave(className, classFile);
            if (w == null) {
                return null;
            }
            for (String s : w.skipped()) {
                fail(className, "a gate does not fit " + s);
            }
            if (recorder != null && w.skipped().isEmpty()) {
                recorder.record(className, classFile, w.bytes());
            }
            return w.bytes();
        } catch (Throwable t) {
            fail(className, t.toString());
            return null;
        }
    }

    private void fail(String className, String why) {
        failures.add(className + ": " + why);
        if (onFailure != OnFailure.RECORD) {
            GateStatus.markBroken(className.replace('/', '.') + ": " + why);
        }
        if (onFailure == OnFailure.HALT) {
            System.err.println("ringfence: a gate could not be put into " + className.replace('/', '.')
                    + " as it loaded: this child stops");
            Runtime.getRuntime().halt(Gates.EXIT_GATES_BROKEN);
        }
        if (reported.add(className)) {
            System.err.println("ringfence: cannot put gates into " + className.replace('/', '.') + ": " + why);
        }
    }

    /** @return what could not be woven so far */
    List<String> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }
}
