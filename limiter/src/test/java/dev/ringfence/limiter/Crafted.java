package dev.ringfence.limiter;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/** Hostile methods javac cannot write, built with ASM: class {@code t.Crafted}. */
final class Crafted implements Opcodes {
    static final String NAME = "t.Crafted";

    private Crafted() {
    }

    /** @return the class file */
    static byte[] bytes() {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        cw.visit(V17, ACC_PUBLIC | ACC_SUPER, "t/Crafted", null, "java/lang/Object", null);
        selfCatch(cw);
        cycle(cw);
        cw.visitEnd();
        return cw.toByteArray();
    }

    /**
     * {@code selfCatch()}: a handler shaped like javac's "release the monitor and rethrow" (which
     * carries no guard) whose range covers itself, releasing a monitor the thread does not hold:
     * the {@code IllegalMonitorStateException} goes back into the same handler, for ever.
     */
    private static void selfCatch(ClassWriter cw) {
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC | ACC_STATIC, "selfCatch", "()Ljava/lang/Object;", null, null);
        mv.visitCode();
        Label start = new Label();
        Label handler = new Label();
        Label end = new Label();
        mv.visitTryCatchBlock(start, end, handler, null);
        newLock(mv);
        mv.visitLabel(start);
        mv.visitInsn(ACONST_NULL);
        mv.visitInsn(ATHROW);
        releaseAndRethrow(mv, handler);
        mv.visitLabel(end);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /**
     * {@code cycle()}: a guarded catch-all handler G and a "release and rethrow" handler H that
     * cover each other's code. G rethrows into itself (through its guard: a metered loop); once
     * tripped, G's guard throws the abort, H catches it, its {@code monitorexit} throws, G catches
     * that, and so on, through no back-edge or entry.
     */
    private static void cycle(ClassWriter cw) {
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC | ACC_STATIC, "cycle", "()Ljava/lang/Object;", null, null);
        mv.visitCode();
        Label start = new Label();
        Label g = new Label();
        Label h = new Label();
        Label end = new Label();
        mv.visitTryCatchBlock(start, end, g, null);
        mv.visitTryCatchBlock(g, end, h, null);
        newLock(mv);
        mv.visitLabel(start);
        mv.visitInsn(ACONST_NULL);
        mv.visitInsn(ATHROW);
        mv.visitLabel(g);
        mv.visitVarInsn(ASTORE, 1);
        mv.visitVarInsn(ALOAD, 1);
        mv.visitInsn(ATHROW);
        releaseAndRethrow(mv, h);
        mv.visitLabel(end);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /** Local 0: a fresh object, never locked. */
    private static void newLock(MethodVisitor mv) {
        mv.visitTypeInsn(NEW, "java/lang/Object");
        mv.visitInsn(DUP);
        mv.visitMethodInsn(INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        mv.visitVarInsn(ASTORE, 0);
        mv.visitInsn(ACONST_NULL);
        mv.visitVarInsn(ASTORE, 1);
    }

    /** javac's monitor handler: store, release local 0, rethrow. */
    private static void releaseAndRethrow(MethodVisitor mv, Label handler) {
        mv.visitLabel(handler);
        mv.visitVarInsn(ASTORE, 1);
        mv.visitVarInsn(ALOAD, 0);
        mv.visitInsn(MONITOREXIT);
        mv.visitVarInsn(ALOAD, 1);
        mv.visitInsn(ATHROW);
    }
}
