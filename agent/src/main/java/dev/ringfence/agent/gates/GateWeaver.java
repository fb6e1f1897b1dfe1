package dev.ringfence.agent.gates;

import java.util.ArrayList;
import java.util.List;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Inserts gates into a JDK class: at the start of every method the table names (in a constructor,
 * just after the call of the super constructor), a call
 * {@code Gate.check(site, a, b, n)} with the values the row asks for ({@code Gate.reserve(site, a, bytes)}
 * for a row whose rule {@linkplain GateKind#reserves() reserves} memory).
 *
 * <p>Only method bodies change: no member, signature or branch is added, so existing stack map
 * frames stay valid and no class hierarchy is needed. Stateless and thread-safe.
 */
final class GateWeaver {
    static final String GATE = "dev/ringfence/boot/Gate";
    static final String CHECK = "check";
    static final String CHECK_DESC = "(ILjava/lang/Object;Ljava/lang/Object;I)V";
    static final String RESERVE = "reserve";
    static final String RESERVE_DESC = "(ILjava/lang/Object;J)V";

    /** The outcome of weaving one class. */
    record Woven(byte[] bytes, List<Sites.Site> sites, List<String> skipped) {
    }

    private GateWeaver() {
    }

    /**
     * Weaves the gates of one class.
     *
     * @param internalName the class, internal name
     * @param classFile its class file
     * @return the woven class, or null when the table gates none of its methods
     */
    static Woven weave(String internalName, byte[] classFile) {
        List<GateSpec> rows = GateTable.rowsFor(internalName);
        if (rows.isEmpty()) {
            return null;
        }
        ClassReader reader = new ClassReader(classFile);
        ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
        Weaving weaving = new Weaving(writer, internalName, rows);
        reader.accept(weaving, 0);
        if (weaving.sites.isEmpty()) {
            return null;
        }
        return new Woven(writer.toByteArray(), List.copyOf(weaving.sites), List.copyOf(weaving.skipped));
    }

    /** Finds the gated methods of a class and wraps them. */
    private static final class Weaving extends ClassVisitor {
        final String owner;
        final List<GateSpec> rows;
        final List<Sites.Site> sites = new ArrayList<>();
        final List<String> skipped = new ArrayList<>();

        Weaving(ClassVisitor next, String owner, List<GateSpec> rows) {
            super(Opcodes.ASM9, next);
            this.owner = owner;
            this.rows = rows;
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String desc, String signature, String[] exceptions) {
            MethodVisitor mv = super.visitMethod(access, name, desc, signature, exceptions);
            if ((access & (Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE)) != 0) {
                return mv;
            }
            for (GateSpec row : rows) {
                if (row.matches(name, desc, access)) {
                    String problem = Arguments.problem(row, access, desc);
                    if (problem != null) {
                        skipped.add(owner + "." + name + desc + ": " + problem);
                        return mv;
                    }
                    Sites.Site site = Sites.register(row, owner, name, desc);
                    sites.add(site);
                    return new Entry(mv, access, name, desc, row, site.id());
                }
            }
            return mv;
        }
    }

    /**
     * Emits the gate call on method entry; in a constructor, just after the call that initialises
     * {@code this} (found by pairing {@code NEW} with constructor calls, which holds for javac's code).
     */
    private static final class Entry extends MethodVisitor {
        private final GateSpec row;
        private final int site;
        private final boolean isStatic;
        private final boolean constructor;
        private final Type[] params;
        private int pendingNews;
        private boolean emitted;

        Entry(MethodVisitor mv, int access, String name, String desc, GateSpec row, int site) {
            super(Opcodes.ASM9, mv);
            this.row = row;
            this.site = site;
            this.isStatic = (access & Opcodes.ACC_STATIC) != 0;
            this.constructor = name.equals("<init>");
            this.params = Type.getArgumentTypes(desc);
        }

        @Override
        public void visitCode() {
            super.visitCode();
            if (!constructor) {
                emit();
            }
        }

        @Override
        public void visitTypeInsn(int opcode, String type) {
            if (opcode == Opcodes.NEW && constructor && !emitted) {
                pendingNews++;
            }
            super.visitTypeInsn(opcode, type);
        }

        @Override
        public void visitMethodInsn(int opcode, String owner, String name, String desc, boolean isInterface) {
            super.visitMethodInsn(opcode, owner, name, desc, isInterface);
            if (constructor && !emitted && opcode == Opcodes.INVOKESPECIAL && name.equals("<init>")) {
                if (pendingNews > 0) {
                    pendingNews--;
                } else {
                    emit();
                }
            }
        }

        private void emit() {
            emitted = true;
            pushInt(site);
            if (row.kind().reserves()) {
                loadObject(row.a());
                loadBytes(row.n());
                super.visitMethodInsn(Opcodes.INVOKESTATIC, GATE, RESERVE, RESERVE_DESC, false);
                return;
            }
            loadObject(row.a());
            loadObject(row.b());
            if (row.n() == null) {
                super.visitInsn(Opcodes.ICONST_0);
            } else {
                super.visitVarInsn(Opcodes.ILOAD, Arguments.slot(isStatic, params, Arguments.param(row.n())));
            }
            super.visitMethodInsn(Opcodes.INVOKESTATIC, GATE, CHECK, CHECK_DESC, false);
        }

        /** Pushes a byte count as a {@code long}: a constant, or a {@code long} or {@code int} parameter. */
        private void loadBytes(String source) {
            long constant = Arguments.constant(source);
            if (constant >= 0) {
                super.visitLdcInsn(constant);
                return;
            }
            int p = Arguments.param(source);
            int slot = Arguments.slot(isStatic, params, p);
            if (params[p].getSort() == Type.LONG) {
                super.visitVarInsn(Opcodes.LLOAD, slot);
            } else {
                super.visitVarInsn(Opcodes.ILOAD, slot);
                super.visitInsn(Opcodes.I2L);
            }
        }

        private void pushInt(int value) {
            if (value <= 5) {
                super.visitInsn(Opcodes.ICONST_0 + value);
            } else if (value <= Byte.MAX_VALUE) {
                super.visitIntInsn(Opcodes.BIPUSH, value);
            } else if (value <= Short.MAX_VALUE) {
                super.visitIntInsn(Opcodes.SIPUSH, value);
            } else {
                super.visitLdcInsn(value);
            }
        }

        private void loadObject(String source) {
            if (source == null) {
                super.visitInsn(Opcodes.ACONST_NULL);
            } else if (source.equals("this")) {
                super.visitVarInsn(Opcodes.ALOAD, 0);
            } else if (source.startsWith("f:")) {
                String[] f = Arguments.field(source);
                super.visitVarInsn(Opcodes.ALOAD, 0);
                super.visitFieldInsn(Opcodes.GETFIELD, f[0], f[1], f[2]);
            } else {
                super.visitVarInsn(Opcodes.ALOAD, Arguments.slot(isStatic, params, Arguments.param(source)));
            }
        }
    }

    /** Reads and checks the value sources of a row against a method. */
    static final class Arguments {
        private Arguments() {
        }

        /**
         * Why a row cannot pass its values from a method, or null when it can.
         *
         * @param row the row
         * @param access the method's access flags
         * @param desc its descriptor
         * @return the problem, or null
         */
        static String problem(GateSpec row, int access, String desc) {
            boolean isStatic = (access & Opcodes.ACC_STATIC) != 0;
            Type[] params = Type.getArgumentTypes(desc);
            for (String s : new String[] {row.a(), row.b()}) {
                if (s == null) {
                    continue;
                }
                if (s.equals("this") || s.startsWith("f:")) {
                    if (isStatic) {
                        return s + " in a static method";
                    }
                    if (s.startsWith("f:") && field(s) == null) {
                        return "malformed field " + s;
                    }
                    continue;
                }
                int p = param(s);
                if (p < 0 || p >= params.length) {
                    return "no parameter " + s;
                }
                int sort = params[p].getSort();
                if (sort != Type.OBJECT && sort != Type.ARRAY) {
                    return s + " is not a reference";
                }
            }
            if (row.kind().reserves()) {
                return bytesProblem(row, params);
            }
            if (row.n() != null) {
                int p = param(row.n());
                if (p < 0 || p >= params.length) {
                    return "no parameter " + row.n();
                }
                int sort = params[p].getSort();
                if (sort != Type.INT && sort != Type.SHORT && sort != Type.CHAR && sort != Type.BYTE && sort != Type.BOOLEAN) {
                    return row.n() + " is not an int";
                }
            }
            return null;
        }

        /** The byte count of a reserving row: a constant, or a {@code long} or {@code int} parameter. */
        private static String bytesProblem(GateSpec row, Type[] params) {
            if (row.b() != null) {
                return "a reserving gate passes no b";
            }
            if (row.n() == null) {
                return "a reserving gate needs its byte count n";
            }
            if (constant(row.n()) >= 0) {
                return null;
            }
            int p = param(row.n());
            if (p < 0 || p >= params.length) {
                return "no parameter " + row.n();
            }
            int sort = params[p].getSort();
            return sort == Type.LONG || sort == Type.INT ? null : row.n() + " is not a long or an int";
        }

        /** @return the value of a constant source {@code k:N}, or -1 when it is none */
        static long constant(String source) {
            if (source == null || !source.startsWith("k:")) {
                return -1;
            }
            try {
                return Long.parseLong(source.substring(2));
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        /** @return the parameter index of {@code pN}, or -1 */
        static int param(String source) {
            if (source.length() < 2 || source.charAt(0) != 'p') {
                return -1;
            }
            try {
                return Integer.parseInt(source.substring(1));
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        /** @return the local variable slot of a parameter */
        static int slot(boolean isStatic, Type[] params, int index) {
            int slot = isStatic ? 0 : 1;
            for (int i = 0; i < index; i++) {
                slot += params[i].getSize();
            }
            return slot;
        }

        /** @return owner, name and descriptor of {@code f:owner.name:desc}, or null */
        static String[] field(String source) {
            int dot = source.lastIndexOf('.');
            int colon = source.indexOf(':', 2);
            if (dot < 2 || colon < dot) {
                return null;
            }
            return new String[] {source.substring(2, dot), source.substring(dot + 1, colon), source.substring(colon + 1)};
        }
    }
}
