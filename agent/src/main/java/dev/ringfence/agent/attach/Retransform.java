package dev.ringfence.agent.attach;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.instrument.UnmodifiableClassException;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Retransforms classes for attach and detach, and checks a detach's restore: a class that fails
 * is reported and does not stop the others.
 */
final class Retransform {
    /** Looks up the class file a transformer was first handed for a class. */
    interface Originals {
        /**
         * @param loader the class's loader
         * @param className its dotted name
         * @return the bytes, or null
         */
        byte[] original(ClassLoader loader, String className);
    }

    private Retransform() {
    }

    /**
     * Retransforms classes: all at once, and one by one when that fails, so one bad class
     * leaves the others transformed.
     *
     * @param inst the instrumentation service
     * @param classes the classes
     * @return error lines for the classes that failed, empty when none did
     */
    static List<String> all(Instrumentation inst, List<Class<?>> classes) {
        if (classes.isEmpty()) {
            return List.of();
        }
        try {
            inst.retransformClasses(classes.toArray(new Class<?>[0]));
            return List.of();
        } catch (UnmodifiableClassException | RuntimeException | LinkageError batch) {
            List<String> errors = new ArrayList<>();
            for (Class<?> c : classes) {
                try {
                    inst.retransformClasses(c);
                } catch (UnmodifiableClassException | RuntimeException | LinkageError e) {
                    errors.add("error: cannot retransform " + c.getName() + ": " + e);
                }
            }
            return errors;
        }
    }

    /**
     * Checks that classes are back to their original bytecode: retransforms them once more with a
     * transformer that only captures the bytes the JVM hands it (the class as it now is), looks
     * for any call to the probe class left, and compares the bytes with those captured before the
     * class was first transformed (identical on JDK 17; later JDKs may hand back a constant pool
     * that keeps unused entries).
     *
     * @param inst the instrumentation service
     * @param classes the restored classes
     * @param originals the bytes before the attach
     * @param probeClass the probe class's internal name
     * @return one line per class and a summary line; lines starting {@code error:} say what is wrong
     */
    static List<String> verifyRestored(Instrumentation inst, List<Class<?>> classes, Originals originals,
            String probeClass) {
        Map<Class<?>, byte[]> now = new ConcurrentHashMap<>();
        ClassFileTransformer capture = new ClassFileTransformer() {
            @Override
            public byte[] transform(ClassLoader loader, String name, Class<?> redefined, ProtectionDomain domain,
                    byte[] classFile) {
                if (redefined != null && classes.contains(redefined)) {
                    now.put(redefined, classFile.clone());
                }
                return null;
            }
        };
        List<String> out = new ArrayList<>();
        inst.addTransformer(capture, true);
        try {
            out.addAll(all(inst, classes));
        } finally {
            inst.removeTransformer(capture);
        }
        int same = 0;
        for (Class<?> c : classes) {
            byte[] bytes = now.get(c);
            byte[] before = originals.original(c.getClassLoader(), c.getName());
            if (bytes == null) {
                out.add("error: could not read back " + c.getName());
            } else if (mentions(bytes, probeClass)) {
                out.add("error: " + c.getName() + " still calls the probes after the restore");
            } else if (before != null && Arrays.equals(before, bytes)) {
                same++;
                out.add("restored " + c.getName() + " (bytes identical to before the attach)");
            } else {
                same++;
                out.add("restored " + c.getName() + " (no probe left)");
            }
        }
        out.add("restored " + same + " of " + classes.size() + " transformed classes");
        return out;
    }

    /**
     * Whether any method of a class file calls a method of a class. Only instructions count: a
     * restored class's constant pool may keep unused entries of the transformed version (the JVM
     * merges constant pools when it redefines a class, and JDK 25 hands them back).
     */
    private static boolean mentions(byte[] classFile, String internalName) {
        boolean[] found = {false};
        new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                    String[] exceptions) {
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String n, String d, boolean itf) {
                        found[0] |= owner.equals(internalName);
                    }
                };
            }
        }, ClassReader.SKIP_FRAMES);
        return found[0];
    }
}
