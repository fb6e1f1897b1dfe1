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
     * hook and the transformer, and weaves every table class present on this JDK.
     *
     * @param inst the instrumentation service
     * @throws IllegalStateException when a class cannot be woven or a capability has no gate here
     */
    static void wire(Instrumentation inst) {
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
        GateTransformer transformer = new GateTransformer();
        inst.addTransformer(transformer, true);
        Gate.install(SandboxThread.class, keeper);

        List<String> failures = new ArrayList<>();
        List<Class<?>> modifiable = new ArrayList<>();
        for (Class<?> c : tableClasses()) {
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
        if (!missing.isEmpty()) {
            failures.add("no gate on this JDK for " + missing);
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("ringfence: the gates are incomplete: " + String.join("; ", failures));
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
