package dev.ringfence.agent.attach;

import java.util.ArrayList;
import java.util.List;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FrameNode;
import org.objectweb.asm.tree.InsnList;
import org.objectweb.asm.tree.InsnNode;
import org.objectweb.asm.tree.LabelNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.TryCatchBlockNode;

/**
 * Wraps budgeted methods of a host class: the entry calls {@code BudgetProbes.begin(site)}, every
 * return first calls {@code BudgetProbes.end(Owner.class)}, and a catch-all handler appended
 * last to the exception table (so the method's own handlers keep their priority) passes what the
 * method throws through {@code BudgetProbes.failed}, which turns a budget trip into the budget's
 * exception. Only method bodies change, so the result is fit for retransformation. The handler's
 * frame declares no locals, so no existing frame needs to change. Thread-safe: holds no state.
 */
final class BudgetWeaver implements Opcodes {
    /** The bridge class on the boot class path. */
    static final String PROBES = "dev/ringfence/boot/BudgetProbes";

    /** Chooses the site number of a method, or -1 to leave it alone. */
    interface Sites {
        /**
         * @param className the class's dotted name
         * @param method the method's name
         * @param descriptor its descriptor
         * @return its site number, or -1
         */
        int siteOf(String className, String method, String descriptor);
    }

    /**
     * The result of weaving one class.
     *
     * @param bytes the woven class file, or null when no method was budgeted
     * @param wrapped the budgeted methods, as {@code name+descriptor}
     * @param refused budgeted methods that cannot be wrapped (abstract, native), with the reason
     */
    record Result(byte[] bytes, List<String> wrapped, List<String> refused) {
    }

    private BudgetWeaver() {
    }

    /**
     * Wraps the methods {@code sites} chooses.
     *
     * @param classFile the class file
     * @param sites the site numbers
     * @return the result
     */
    static Result weave(byte[] classFile, Sites sites) {
        ClassNode cn = new ClassNode(ASM9);
        new ClassReader(classFile).accept(cn, 0);
        String className = cn.name.replace('/', '.');
        List<String> wrapped = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (MethodNode mn : cn.methods) {
            int site = sites.siteOf(className, mn.name, mn.desc);
            if (site < 0) {
                continue;
            }
            if ((mn.access & (ACC_ABSTRACT | ACC_NATIVE)) != 0) {
                refused.add(mn.name + mn.desc + ": abstract or native, no body to budget");
            } else if ((cn.version & 0xFFFF) < V1_5) {
                refused.add(mn.name + mn.desc + ": class file older than Java 5");
            } else {
                wrap(cn, mn, site);
                wrapped.add(mn.name + mn.desc);
            }
        }
        if (wrapped.isEmpty()) {
            return new Result(null, wrapped, refused);
        }
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cn.accept(cw);
        return new Result(cw.toByteArray(), List.copyOf(wrapped), List.copyOf(refused));
    }

    private static void wrap(ClassNode cn, MethodNode mn, int site) {
        InsnList insns = mn.instructions;
        Type owner = Type.getObjectType(cn.name);
        for (AbstractInsnNode insn : insns.toArray()) {
            int op = insn.getOpcode();
            if (op >= IRETURN && op <= RETURN) {
                InsnList exit = new InsnList();
                exit.add(new LdcInsnNode(owner));
                exit.add(new MethodInsnNode(INVOKESTATIC, PROBES, "end", "(Ljava/lang/Class;)V", false));
                insns.insertBefore(insn, exit);
            }
        }
        LabelNode start = new LabelNode();
        LabelNode end = new LabelNode();
        LabelNode handler = new LabelNode();
        InsnList entry = new InsnList();
        entry.add(site <= Short.MAX_VALUE ? new org.objectweb.asm.tree.IntInsnNode(SIPUSH, site) : new LdcInsnNode(site));
        entry.add(new MethodInsnNode(INVOKESTATIC, PROBES, "begin", "(I)V", false));
        entry.add(start);
        insns.insert(entry);
        insns.add(end);
        insns.add(handler);
        if ((cn.version & 0xFFFF) >= V1_6) {
            insns.add(new FrameNode(F_FULL, 0, new Object[0], 1, new Object[] {"java/lang/Throwable"}));
        }
        insns.add(new LdcInsnNode(owner));
        insns.add(new MethodInsnNode(INVOKESTATIC, PROBES, "failed",
                "(Ljava/lang/Throwable;Ljava/lang/Class;)Ljava/lang/Throwable;", false));
        insns.add(new InsnNode(ATHROW));
        mn.tryCatchBlocks.add(new TryCatchBlockNode(start, end, handler, null));
    }
}
