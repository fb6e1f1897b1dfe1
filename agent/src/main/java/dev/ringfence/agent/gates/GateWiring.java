package dev.ringfence.agent.gates;

import dev.ringfence.boot.Gate;
import dev.ringfence.limiter.GateStatus;
import dev.ringfence.limiter.Probes;
import dev.ringfence.limiter.SandboxThread;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Field;
import java.nio.file.FileSystems;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The part of installation that links against the boot classes: loaded only once they are on the
 * boot class path, so that {@code Gate} resolves to the boot loader's copy.
 */
final class GateWiring {
    private GateWiring() {
    }

    /**
     * Makes the gated modules read the gate, opens {@code java.lang} to ringfence, installs the
     * hook and the transformer, and weaves the table classes: every one present on this JDK, or
     * with {@code lazy} the ones loaded so far (the transformer weaves the others as they are
     * defined, and a failure then stops the sandbox: {@link GateTransformer}).
     *
     * <p>Each class is woven once: the eager path loads the table classes before the transformer
     * is added and retransforms them all in one call; the lazy path retransforms only what was
     * loaded before the transformer.
     *
     * @param inst the instrumentation service
     * @param lazy whether to leave the table classes not loaded yet to the transformer
     * @param prewoven classes a host wove, with its site numbers, or null
     * @param recorder where to record the classes woven here, or null
     * @throws IllegalStateException when a class cannot be woven or, eagerly, a capability has no
     *     gate here
     */
    static void wire(Instrumentation inst, boolean lazy, WovenGates prewoven, WovenGates recorder) {
        if (Gate.class.getClassLoader() != null) {
            throw new IllegalStateException("ringfence: dev.ringfence.boot.Gate was loaded from "
                    + Gate.class.getClassLoader() + " before the agent put it on the boot class path");
        }
        Module gateModule = Gate.class.getModule();
        for (String name : GateTable.modules()) {
            Optional<Module> m = ModuleLayer.boot().findModule(name);
            if (m.isPresent() && inst.isModifiableModule(m.get())) {
                inst.redefineModule(m.get(), Set.of(gateModule), Map.of(), Map.of(), Set.of(), Map.of());
            }
        }
        Set<Module> ours = new LinkedHashSet<>(List.of(GateStatus.class.getModule(), GateWiring.class.getModule()));
        inst.redefineModule(Object.class.getModule(), Set.of(), Map.of(), Map.of("java.lang", ours), Set.of(), Map.of());

        GateKeeper keeper = new GateKeeper(virtualThreadScheduler());
        warmUp();
        List<Class<?>> table = lazy ? List.of() : tableClasses(); // loaded before the transformer: woven once
        if (prewoven != null) {
            Sites.preload(prewoven.sites());
        }
        GateTransformer transformer = new GateTransformer(prewoven, recorder,
                lazy ? GateTransformer.OnFailure.HALT : GateTransformer.OnFailure.STOP_SANDBOX);
        inst.addTransformer(transformer, true);
        Gate.install(SandboxThread.class, keeper);
        if (lazy) {
            table = loadedTableClasses(inst);
        }

        List<String> failures = new ArrayList<>();
        List<Class<?>> modifiable = new ArrayList<>();
        for (Class<?> c : table) {
            if (inst.isModifiableClass(c)) {
                modifiable.add(c);
            } else {
                failures.add(c.getName() + ": not modifiable");
            }
        }
        try {
            // one redefinition for all (one safepoint, one pass over the code cache); one by one only
            // when that fails, so that the failure names its class
            inst.retransformClasses(modifiable.toArray(new Class<?>[0]));
        } catch (Throwable all) {
            for (Class<?> c : modifiable) {
                try {
                    inst.retransformClasses(c);
                } catch (Throwable t) {
                    failures.add(c.getName() + ": " + t);
                }
            }
        }
        failures.addAll(transformer.failures());
        if (!gatedProvider()) {
            failures.add("the default file system provider " + FileSystems.getDefault().provider().getClass().getName()
                    + " has no gates (only the Unix providers do)");
        }
        Set<String> missing = new LinkedHashSet<>(GateTable.capabilities());
        missing.removeAll(Sites.coveredCapabilities());
        if (!lazy && !missing.isEmpty()) {
            failures.add("no gate on this JDK for " + missing);
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("ringfence: the gates are incomplete: " + String.join("; ", failures));
        }
    }

    /**
     * Runs what {@link #wire} runs that needs no instrumentation service, and puts nothing in
     * force: for the agent-less JVM that records a start-up cache ({@link Gates#rehearseInstall}).
     * The table classes are not loaded (a child would retransform every one its archive loads at
     * start); their image class files are passed through a transformer that records nothing and
     * whose result is dropped.
     *
     * @param prewoven classes a host wove, or null
     */
    static void rehearse(WovenGates prewoven) {
        virtualThreadScheduler();
        warmUp();
        if (prewoven != null) {
            Sites.preload(prewoven.sites());
        }
        GateTransformer transformer = new GateTransformer(prewoven, null, GateTransformer.OnFailure.RECORD);
        for (String owner : GateTable.owners()) {
            byte[] image = GateTable.imageClassFile(owner);
            if (image != null) {
                transformer.transform(null, owner, null, null, image);
            }
        }
    }

    /** Whether the provider behind {@code java.nio.file} (on Linux and macOS a Unix provider) is a table class. */
    private static boolean gatedProvider() {
        for (Class<?> c = FileSystems.getDefault().provider().getClass(); c != null; c = c.getSuperclass()) {
            if (GateTable.owners().contains(c.getName().replace('.', '/'))) {
                return true;
            }
        }
        return false;
    }

    /** Loads (without initialising) every table class present on this JDK, so that all are woven now. */
    private static List<Class<?>> tableClasses() {
        ClassLoader platform = ClassLoader.getPlatformClassLoader();
        List<Class<?>> out = new ArrayList<>();
        for (String owner : GateTable.owners()) {
            try {
                out.add(Class.forName(owner.replace('/', '.'), false, platform));
            } catch (ClassNotFoundException | LinkageError e) {
                // not on this JDK (JDK 17 has no VirtualThread, say): its rows gate nothing here
            }
        }
        return out;
    }

    /** The table classes the JVM has loaded so far (boot or platform loader). */
    private static List<Class<?>> loadedTableClasses(Instrumentation inst) {
        Set<String> owners = GateTable.owners();
        ClassLoader platform = ClassLoader.getPlatformClassLoader();
        List<Class<?>> out = new ArrayList<>();
        for (Class<?> c : inst.getAllLoadedClasses()) {
            ClassLoader l = c.getClassLoader();
            if ((l == null || l == platform) && owners.contains(c.getName().replace('.', '/'))) {
                out.add(c);
            }
        }
        return out;
    }

    /** The JDK's default scheduler of virtual threads (JDK 21 and later), or null. */
    private static Object virtualThreadScheduler() {
        try {
            Field f = Class.forName("java.lang.VirtualThread").getDeclaredField("DEFAULT_SCHEDULER");
            f.setAccessible(true);
            return f.get(null);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** Loads what a gate's slow path uses now, on the host, rather than first on a sandbox thread. */
    private static void warmUp() {
        // loaded here, on a host thread: the first gate a sandbox thread passes resolves Probes,
        // and loading it from a class-path directory or jar then would pass a file gate, which
        // resolves Probes again, until the stack overflows
        Probes.gateMeter();
        Callers.jdk(Object.class);
        FileRules.path("/");
        NetRules.socket(dev.ringfence.limiter.Policy.DENY_ALL);
        Sites.count();
    }
}
