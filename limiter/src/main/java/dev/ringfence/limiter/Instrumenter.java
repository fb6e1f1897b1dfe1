package dev.ringfence.limiter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodTooLargeException;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.commons.JSRInlinerAdapter;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.analysis.Analyzer;
import org.objectweb.asm.tree.analysis.AnalyzerException;
import org.objectweb.asm.tree.analysis.BasicVerifier;

/**
 * Rewrites a handler class so that it cannot run past its budgets: every method that can loop or
 * call gets a tick at entry, every loop back-edge counts down a local and charges the meter every
 * {@value Meter#EDGE_QUANTUM} iterations, every exception handler first rethrows a tripped
 * invocation's abort, and every array whose length is not a small constant is checked against
 * the allocation budget before it is allocated. References to the sandbox's internals are
 * replaced by denials, and class-loader climbs by safe equivalents.
 *
 * <p>Only straight-line code is inserted (no new branch targets), so the existing stack map
 * frames stay valid once the frame counter local is added to them; no class hierarchy is needed.
 * Thread-safe: holds no state.
 */
public final class Instrumenter {
    /** Bump when the rewriting changes: it is part of the cache key of instrumented classes. */
    public static final int VERSION = 4;

    private final Metering metering;
    /** The internal name of the class the probes call; null for {@link Probes} with the call-site policy. */
    private final String hostProbes;

    /** An instrumenter with counting probes ({@link Metering#COUNT}). */
    public Instrumenter() {
        this(Metering.COUNT);
    }

    /**
     * An instrumenter of one flavour.
     *
     * @param metering how back-edges and method entries are metered
     */
    public Instrumenter(Metering metering) {
        this(metering, null);
    }

    private Instrumenter(Metering metering, String hostProbes) {
        this.metering = metering;
        this.hostProbes = hostProbes;
    }

    /**
     * An instrumenter for classes a running host has loaded already (attach): counting probes at
     * method entries and back-edges, array checks and catch guards, calling the static methods of
     * {@code probeOwner} (which must have {@link Probes}'s shapes for {@code enter}, {@code tick},
     * {@code edge}, {@code caught}, {@code array}, {@code repeat}, {@code bits}, {@code dim} and
     * {@code arrayTotal}). Only method bodies change: no call is denied or redirected, and no
     * method is added, renamed or removed, so the result is fit for retransformation.
     *
     * @param probeOwner the internal name of the probe class ({@code a/b/C}), resolvable from
     *     the instrumented classes' loaders
     * @return the instrumenter
     */
    public static Instrumenter bodiesOnly(String probeOwner) {
        return new Instrumenter(Metering.COUNT, java.util.Objects.requireNonNull(probeOwner));
    }

    /** @return the flavour of probes this instrumenter writes */
    public Metering metering() {
        return metering;
    }

    /**
     * What distinguishes this instrumenter's output from any other's, for cache keys: the
     * rewriting's {@link #VERSION} and the flavour.
     *
     * @return a short key
     */
    public String key() {
        return VERSION + "-" + metering.name().toLowerCase(java.util.Locale.ROOT) + (hostProbes == null ? "" : "-host");
    }

    /**
     * The result of instrumenting one class.
     *
     * @param className the class's binary name ({@code a.b.C})
     * @param bytes the instrumented class file
     * @param deniedApis denied APIs the class mentions, for reports
     * @param compact true when the class was too large and was instrumented without array checks
     */
    public record Result(String className, byte[] bytes, List<String> deniedApis, boolean compact) {
    }

    /**
     * Instruments a class.
     *
     * @param classFile the class file bytes
     * @return the rewritten class
     * @throws InstrumentationException when the class cannot be instrumented (malformed, or too large)
     */
    public Result instrument(byte[] classFile) {
        try {
            return instrument(classFile, false);
        } catch (MethodTooLargeException e) {
            try {
                return instrument(classFile, true);
            } catch (MethodTooLargeException again) {
                throw new InstrumentationException("method too large once instrumented: " + again.getClassName()
                        + "." + again.getMethodName(), again);
            }
        } catch (RuntimeException e) {
            if (e instanceof InstrumentationException) {
                throw e;
            }
            throw new InstrumentationException("cannot instrument class: " + e, e);
        }
    }

    private Result instrument(byte[] classFile, boolean compact) {
        ClassReader reader = new ClassReader(classFile);
        ClassNode cn = new ClassNode(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                    String[] exceptions) {
                MethodNode mn = new JSRInlinerAdapter(null, access, name, descriptor, signature, exceptions);
                methods.add(mn);
                return mn;
            }
        };
        reader.accept(cn, ClassReader.EXPAND_FRAMES);
        Set<String> denied = new LinkedHashSet<>();
        // invokedynamic needs class files of Java 7 or later; older ones keep counting probes
        boolean guard = metering == Metering.GUARD && (cn.version & 0xFFFF) >= Opcodes.V1_7;
        boolean isInterface = (cn.access & Opcodes.ACC_INTERFACE) != 0;
        boolean host = hostProbes != null;
        for (MethodNode mn : cn.methods) {
            if (!host && !isInterface && mn.name.equals("finalize") && mn.desc.equals("()V")) {
                // a finalizer would run handler code on the JVM's finalizer thread, unmetered (a
                // static one, which only crafted class files have, would still mark the class)
                mn.name = "finalize$ringfence";
            }
            if ((mn.access & (Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE)) != 0) {
                continue;
            }
            if (host) {
                new MethodRewriter(mn, hostProbes, false, compact, false, denied).rewrite();
            } else {
                new MethodRewriter(mn, compact, guard, denied).rewrite();
            }
        }
        if (!host && inheritsAFinalizer(cn)) {
            cn.methods.add(emptyFinalizer());
        }
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cn.accept(cw);
        return new Result(cn.name.replace('/', '.'), cw.toByteArray(), List.copyOf(denied), compact);
    }

    /**
     * Whether a class may inherit a finalizer: its superclass is not {@code Object} (nor
     * {@code Enum}, whose {@code finalize} is final and empty, nor {@code Record}). A JDK superclass
     * such as {@code javax.imageio.spi.ServiceRegistry} or {@code java.awt.Graphics} has a
     * {@code finalize()} that calls an overridable method, which the JVM's finalizer thread would run
     * in handler code, ungated and unmetered. An empty {@code finalize()} in the subclass makes
     * HotSpot skip finalization of its instances.
     */
    private static boolean inheritsAFinalizer(ClassNode cn) {
        if ((cn.access & (Opcodes.ACC_INTERFACE | Opcodes.ACC_ENUM)) != 0 || cn.superName == null) {
            return false;
        }
        switch (cn.superName) {
            case "java/lang/Object":
            case "java/lang/Enum":
            case "java/lang/Record":
                return false;
            default:
                break;
        }
        for (MethodNode mn : cn.methods) {
            if (mn.name.equals("finalize") && mn.desc.equals("()V")) {
                return false;
            }
        }
        return true;
    }

    /** {@code protected void finalize() {}}: HotSpot does not register instances of its class for finalization. */
    private static MethodNode emptyFinalizer() {
        MethodNode mn = new MethodNode(Opcodes.ASM9, Opcodes.ACC_PROTECTED | Opcodes.ACC_SYNTHETIC, "finalize", "()V", null,
                null);
        mn.visitCode();
        mn.visitInsn(Opcodes.RETURN);
        mn.visitMaxs(0, 1);
        mn.visitEnd();
        return mn;
    }

    /**
     * Checks every method of a class with ASM's bytecode verifier (stack and local types, no class
     * hierarchy needed).
     *
     * @param classFile the class file
     * @return the problems found, empty when the class verifies
     */
    public static List<String> verify(byte[] classFile) {
        ClassNode cn = new ClassNode(Opcodes.ASM9);
        new ClassReader(classFile).accept(cn, 0);
        List<String> problems = new ArrayList<>();
        for (MethodNode mn : cn.methods) {
            if ((mn.access & (Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE)) != 0) {
                continue;
            }
            try {
                new Analyzer<>(new BasicVerifier()).analyze(cn.name, mn);
            } catch (AnalyzerException e) {
                problems.add(cn.name + "." + mn.name + mn.desc + ": " + e.getMessage());
            }
        }
        return problems;
    }

    /**
     * Lists denied APIs a class mentions, without rewriting it.
     *
     * @param classFile the class file
     * @return readable API names, in order of first mention
     */
    public static List<String> deniedApis(byte[] classFile) {
        ClassNode cn = new ClassNode(Opcodes.ASM9);
        new ClassReader(classFile).accept(cn, ClassReader.SKIP_FRAMES);
        Set<String> out = new LinkedHashSet<>();
        for (MethodNode mn : cn.methods) {
            for (AbstractInsnNode insn : mn.instructions) {
                String api = MethodRewriter.reportedApi(insn);
                if (api != null) {
                    out.add(api);
                }
            }
        }
        return List.copyOf(out);
    }

    static <K> Set<K> identitySet() {
        Map<K, Boolean> m = new IdentityHashMap<>();
        return Collections.newSetFromMap(m);
    }
}
