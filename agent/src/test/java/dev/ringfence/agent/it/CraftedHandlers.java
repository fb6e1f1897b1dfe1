package dev.ringfence.agent.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.ConstantDynamic;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/** Handlers javac cannot write, built with ASM into a classes directory for {@code invoke --handler}. */
final class CraftedHandlers implements Opcodes {
    private static final Handle INVOKE = new Handle(H_INVOKESTATIC, "java/lang/invoke/ConstantBootstraps", "invoke",
            "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/Class;Ljava/lang/invoke/MethodHandle;"
                    + "[Ljava/lang/Object;)Ljava/lang/Object;", false);

    private CraftedHandlers() {
    }

    /**
     * {@code x.GuardSiteConstant}: its {@code handle} loads a dynamic constant that
     * {@code ConstantBootstraps.invoke} computes by calling {@code Lookup.findStatic(Probes,
     * "guardSite", …)} with the handler's own lookup (Probes itself comes from a method type's
     * return type), then answers {@code escaped}. With that handle a handler would hold its
     * version's guard and could switch it off.
     *
     * @param dir the classes directory to write into
     * @return the class's name
     */
    static String guardSiteConstant(Path dir) throws IOException {
        String name = "x/GuardSiteConstant";
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        cw.visit(V17, ACC_PUBLIC | ACC_SUPER, name, null, "java/lang/Object", new String[] {"dev/ringfence/api/Handler"});
        MethodVisitor init = cw.visitMethod(ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(ALOAD, 0);
        init.visitMethodInsn(INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitInsn(RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();

        String lookupDesc = "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/Class;)"
                + "Ljava/lang/invoke/MethodHandles$Lookup;";
        MethodVisitor own = cw.visitMethod(ACC_PUBLIC | ACC_STATIC, "ownLookup", lookupDesc, null, null);
        own.visitCode();
        own.visitVarInsn(ALOAD, 0);
        own.visitInsn(ARETURN);
        own.visitMaxs(0, 0);
        own.visitEnd();

        ConstantDynamic lookup = new ConstantDynamic("lookup", "Ljava/lang/invoke/MethodHandles$Lookup;",
                new Handle(H_INVOKESTATIC, name, "ownLookup", lookupDesc, false));
        ConstantDynamic probes = new ConstantDynamic("probes", "Ljava/lang/Class;", INVOKE,
                new Handle(H_INVOKEVIRTUAL, "java/lang/invoke/MethodType", "returnType", "()Ljava/lang/Class;", false),
                Type.getMethodType("()Ldev/ringfence/limiter/Probes;"));
        ConstantDynamic guardSite = new ConstantDynamic("guardSite", "Ljava/lang/invoke/MethodHandle;", INVOKE,
                new Handle(H_INVOKEVIRTUAL, "java/lang/invoke/MethodHandles$Lookup", "findStatic",
                        "(Ljava/lang/Class;Ljava/lang/String;Ljava/lang/invoke/MethodType;)Ljava/lang/invoke/MethodHandle;", false),
                lookup, probes, "guardSite", Type.getMethodType("(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;"
                        + "Ljava/lang/invoke/MethodType;)Ljava/lang/invoke/CallSite;"));
        MethodVisitor handle = cw.visitMethod(ACC_PUBLIC, "handle",
                "(Ldev/ringfence/api/Request;Ldev/ringfence/api/Context;)Ldev/ringfence/api/Response;", null, null);
        handle.visitCode();
        handle.visitLdcInsn(guardSite);
        handle.visitInsn(POP);
        handle.visitLdcInsn("escaped: got Probes.guardSite");
        handle.visitMethodInsn(INVOKESTATIC, "dev/ringfence/api/Response", "ok",
                "(Ljava/lang/String;)Ldev/ringfence/api/Response;", false);
        handle.visitInsn(ARETURN);
        handle.visitMaxs(0, 0);
        handle.visitEnd();
        cw.visitEnd();
        Path file = dir.resolve(name + ".class");
        Files.createDirectories(file.getParent());
        Files.write(file, cw.toByteArray());
        return name.replace('/', '.');
    }
}
