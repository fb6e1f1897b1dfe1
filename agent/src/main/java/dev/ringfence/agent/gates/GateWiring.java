package dev.ringfence.agent.gates;

import dev.ringfence.boot.Gate;
import dev.ringfence.limiter.GateStatus;
import dev.ringfence.limiter.Probes;
import dev.ringfence.limiter.SandboxThread;
import java.lang.instrument.Instrumentation;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.lang.reflect.Field;
import java.net.URI;
import java.nio.file.FileSystems;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

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
     * @param read the classes a host wove, with its site numbers, being read (taken after the
     *     module edits), or null
     * @param recordAfter with {@code lazy}, whether to record what this JVM was handed and what it
     *     weaves itself ({@link WovenGates#recordingAfter}); eagerly, everything woven is recorded
     * @return where the classes woven here were recorded, or null
     * @throws IllegalStateException when a class cannot be woven or, eagerly, a capability has no
     *     gate here
     */
    static WovenGates wire(Instrumentation inst, boolean lazy, Gates.PrewovenRead read, boolean recordAfter) {
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
        WovenGates prewoven = read == null ? null : read.get();
        WovenGates recorder = !lazy ? WovenGates.recording() : recordAfter ? WovenGates.recordingAfter(prewoven) : null;
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
            // all at once (in two halves, see retransform); one by one only when that fails, so that
            // the failure names its class
            retransform(inst, modifiable);
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
        return recorder;
    }

    /**
     * Retransforms the classes in two halves at once, the second on a helper thread: the JVM
     * prepares each class (the transformer's call, parsing, rewriting) on the thread that asked,
     * and only the swap, at a safepoint, is one at a time. 45 classes in a JDK 25 child here took
     * 20-22 ms so, against 26-30 ms in one call (8 starts of each, BENCHMARKS.md 7.1).
     *
     * @throws Throwable what either half threw
     */
    private static void retransform(Instrumentation inst, List<Class<?>> classes) throws Throwable {
        int half = classes.size() / 2;
        if (half < 8) {
            inst.retransformClasses(classes.toArray(new Class<?>[0]));
            return;
        }
        Retransform other = new Retransform(inst, classes.subList(half, classes.size()).toArray(new Class<?>[0]));
        Thread helper = new Thread(other, "ringfence-retransform");
        helper.setDaemon(true);
        helper.start();
        Throwable mine = null;
        try {
            inst.retransformClasses(classes.subList(0, half).toArray(new Class<?>[0]));
        } catch (Throwable t) {
            mine = t;
        }
        Gates.joinUninterruptibly(helper);
        if (mine != null) {
            throw mine;
        }
        if (other.failure != null) {
            throw other.failure;
        }
    }

    /**
     * One half of {@link #retransform}. A class, not a lambda: a child's start-up cache holds the
     * classes a child loads, but a lambda's proxy only where the recording JVM ran the call site,
     * which it cannot here (it has no instrumentation service); else it is spun at run time.
     */
    private static final class Retransform implements Runnable {
        private final Instrumentation inst;
        private final Class<?>[] classes;
        private volatile Throwable failure;

        Retransform(Instrumentation inst, Class<?>[] classes) {
            this.inst = inst;
            this.classes = classes;
        }

        @Override
        public void run() {
            try {
                inst.retransformClasses(classes);
            } catch (Throwable t) {
                failure = t;
            }
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
        rehearseModuleEdits();
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

    /**
     * Opens and reads, through a layer's controller and then through a stand-in of the JDK's
     * instrumentation service ({@link #instrumentationStandIn}), a package of a module of its own:
     * the JDK code that {@link #wire} runs when it edits the gated modules and opens
     * {@code java.lang} to ringfence, whose lambdas a child otherwise spins at run time (the
     * recording JVM has no agent): 8-10 ms and then 3-4 ms of a JDK 25 child's start here. The
     * module has no classes.
     */
    private static void rehearseModuleEdits() {
        String name = "dev.ringfence.rehearsal";
        ModuleDescriptor descriptor = ModuleDescriptor.newModule(name).packages(Set.of(name)).build();
        ModuleReference reference = new ModuleReference(descriptor, null) {
            @Override
            public ModuleReader open() {
                return new ModuleReader() {
                    @Override
                    public Optional<URI> find(String resource) {
                        return Optional.empty();
                    }

                    @Override
                    public Stream<String> list() {
                        return Stream.empty();
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        ModuleFinder finder = new ModuleFinder() {
            @Override
            public Optional<ModuleReference> find(String n) {
                return n.equals(name) ? Optional.of(reference) : Optional.empty();
            }

            @Override
            public Set<ModuleReference> findAll() {
                return Set.of(reference);
            }
        };
        Configuration cf = ModuleLayer.boot().configuration().resolve(finder, ModuleFinder.of(), Set.of(name));
        ModuleLayer.Controller controller = ModuleLayer.defineModulesWithOneLoader(cf, List.of(ModuleLayer.boot()),
                GateWiring.class.getClassLoader());
        Module rehearsal = controller.layer().findModule(name).orElseThrow();
        controller.addReads(rehearsal, GateWiring.class.getModule());
        controller.addOpens(rehearsal, name, GateWiring.class.getModule());
        Instrumentation standIn = instrumentationStandIn();
        if (standIn != null) {
            // the instrumentation service's own lambdas, linked on the calls wire makes
            standIn.redefineModule(rehearsal, Set.of(Object.class.getModule()), Map.of(), Map.of(), Set.of(), Map.of());
            standIn.redefineModule(rehearsal, Set.of(), Map.of(), Map.of(name, Set.of(GateWiring.class.getModule())),
                    Set.of(), Map.of());
        }
    }

    /**
     * The JDK's instrumentation service, allocated without its constructor, so without a native
     * agent behind it: for the rehearsal's module edits only, which are plain Java in it (the JDK
     * spins their lambdas on a child's start else, 3-4 ms of a JDK 25 child here). Null when it
     * cannot be made.
     */
    private static Instrumentation instrumentationStandIn() {
        try {
            Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
            f.setAccessible(true);
            Object unsafe = f.get(null);
            Class<?> impl = Class.forName("sun.instrument.InstrumentationImpl", false, null);
            Object o = unsafe.getClass().getMethod("allocateInstance", Class.class).invoke(unsafe, impl);
            return o instanceof Instrumentation ? (Instrumentation) o : null;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
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

    /**
     * The table classes the JVM has loaded so far (boot or platform loader). The JVM lists array
     * and hidden classes too (a lambda's, a method handle's form): skipping those before asking a
     * class's name took the scan from 13 to 10 ms in a JDK 25 child on a busy machine (20 starts
     * of each, in one run, BENCHMARKS.md 7.1).
     */
    private static List<Class<?>> loadedTableClasses(Instrumentation inst) {
        // the owners' binary names, so that each of the JVM's thousands of classes costs a lookup
        Set<String> owners = new HashSet<>();
        for (String owner : GateTable.owners()) {
            owners.add(owner.replace('/', '.'));
        }
        ClassLoader platform = ClassLoader.getPlatformClassLoader();
        List<Class<?>> out = new ArrayList<>();
        for (Class<?> c : inst.getAllLoadedClasses()) {
            if (c.isArray() || c.isPrimitive() || c.isHidden()) {
                continue; // never an owner; spared its name, which the JVM makes and interns when first asked
            }
            ClassLoader l = c.getClassLoader();
            if ((l == null || l == platform) && owners.contains(c.getName())) {
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
