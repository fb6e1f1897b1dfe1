package dev.ringfence.limiter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.objectweb.asm.ConstantDynamic;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.FieldInsnNode;
import org.objectweb.asm.tree.FrameNode;
import org.objectweb.asm.tree.InsnList;
import org.objectweb.asm.tree.InsnNode;
import org.objectweb.asm.tree.IntInsnNode;
import org.objectweb.asm.tree.InvokeDynamicInsnNode;
import org.objectweb.asm.tree.JumpInsnNode;
import org.objectweb.asm.tree.LabelNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.LookupSwitchInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.MultiANewArrayInsnNode;
import org.objectweb.asm.tree.TableSwitchInsnNode;
import org.objectweb.asm.tree.TryCatchBlockNode;
import org.objectweb.asm.tree.TypeInsnNode;
import org.objectweb.asm.tree.VarInsnNode;

/** Rewrites one method; see {@link Instrumenter}. Not thread-safe; one use. */
final class MethodRewriter implements Opcodes {
    static final String PROBES = "dev/ringfence/limiter/Probes";
    /** Array lengths up to this constant are not checked: they cannot matter to a budget. */
    private static final int SMALL_ARRAY = 1024;
    /** log2 of a reference's size in an array (compressed references). */
    private static final int REF_SHIFT = 2;

    private static final Handle GUARD_BOOTSTRAP = new Handle(H_INVOKESTATIC, PROBES, "guardSite",
            "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;)"
                    + "Ljava/lang/invoke/CallSite;", false);

    private final MethodNode mn;
    /** The internal name of the class whose static probe methods the rewritten code calls. */
    private final String probes;
    /** False for code of a host's own classes: no denials, only probes. */
    private final boolean callSitePolicy;
    private final boolean compact;
    private final boolean guard;
    private final Set<String> denied;
    private final InsnList insns;

    /**
     * @param guard true for {@link Metering#GUARD} probes (the class file must be version 51 or
     *     later, for {@code invokedynamic}), false for counting ones
     */
    MethodRewriter(MethodNode mn, boolean compact, boolean guard, Set<String> denied) {
        this(mn, PROBES, true, compact, guard, denied);
    }

    /**
     * @param probes the internal name of the class holding the probe methods ({@link Probes}'s shapes)
     * @param callSitePolicy false to leave calls, fields and constants alone (a host's own code)
     */
    MethodRewriter(MethodNode mn, String probes, boolean callSitePolicy, boolean compact, boolean guard,
            Set<String> denied) {
        this.mn = mn;
        this.probes = probes;
        this.callSitePolicy = callSitePolicy;
        this.compact = compact;
        this.guard = guard;
        this.denied = denied;
        this.insns = mn.instructions;
    }

    void rewrite() {
        if (callSitePolicy) {
            applyCallSitePolicy();
        }
        List<AbstractInsnNode> backEdges = new ArrayList<>();
        Set<LabelNode> seen = Instrumenter.identitySet();
        for (AbstractInsnNode insn : insns) {
            if (insn instanceof LabelNode) {
                seen.add((LabelNode) insn);
            } else if (isBackEdge(insn, seen)) {
                backEdges.add(insn);
            }
        }
        guardHandlers();
        if (!compact) {
            checkArrays();
        }
        if (guard) {
            for (AbstractInsnNode edge : backEdges) {
                insns.insertBefore(edge, guardProbe());
            }
            InsnList entry = new InsnList();
            entry.add(guardProbe());
            if (callableBack()) {
                entry.add(new MethodInsnNode(INVOKESTATIC, probes, "entered", "()V", false));
            }
            insns.insert(entry);
        } else if (!backEdges.isEmpty()) {
            int credit = mn.maxLocals;
            mn.maxLocals += 1;
            for (AbstractInsnNode edge : backEdges) {
                InsnList il = new InsnList();
                il.add(new VarInsnNode(ILOAD, credit));
                il.add(new MethodInsnNode(INVOKESTATIC, probes, "edge", "(I)I", false));
                il.add(new VarInsnNode(ISTORE, credit));
                insns.insertBefore(edge, il);
            }
            addCreditToFrames(credit);
            InsnList entry = new InsnList();
            entry.add(new MethodInsnNode(INVOKESTATIC, probes, "enter", "()I", false));
            entry.add(new VarInsnNode(ISTORE, credit));
            insns.insert(entry);
        } else {
            // even a method without loops or calls ticks: JDK code may call it in a loop of its own
            // (an Iterator whose hasNext() returns true, a lambda fed to an infinite stream)
            insns.insert(new MethodInsnNode(INVOKESTATIC, probes, "tick", "()V", false));
        }
    }

    private static InvokeDynamicInsnNode guardProbe() {
        return new InvokeDynamicInsnNode("guard", "()V", GUARD_BOOTSTRAP);
    }

    /**
     * Tells whether JDK code could call this method on the handler's behalf (and so from inside a
     * gate): an overridable instance method, a static initialiser or a lambda's body. Private
     * and static methods and constructors are reached only from the handler's own code.
     */
    private boolean callableBack() {
        if (mn.name.equals("<clinit>")) {
            return true;
        }
        if (mn.name.startsWith("lambda$")) {
            return true;
        }
        return (mn.access & (ACC_STATIC | ACC_PRIVATE)) == 0 && !mn.name.equals("<init>");
    }

    private static boolean isBackEdge(AbstractInsnNode insn, Set<LabelNode> seen) {
        if (insn instanceof JumpInsnNode) {
            return seen.contains(((JumpInsnNode) insn).label);
        }
        if (insn instanceof TableSwitchInsnNode) {
            TableSwitchInsnNode s = (TableSwitchInsnNode) insn;
            return seen.contains(s.dflt) || s.labels.stream().anyMatch(seen::contains);
        }
        if (insn instanceof LookupSwitchInsnNode) {
            LookupSwitchInsnNode s = (LookupSwitchInsnNode) insn;
            return seen.contains(s.dflt) || s.labels.stream().anyMatch(seen::contains);
        }
        return insn.getOpcode() == RET;
    }

    /** Puts the frame counter local, an int, into every stack map frame. */
    private void addCreditToFrames(int credit) {
        for (AbstractInsnNode insn : insns) {
            if (!(insn instanceof FrameNode)) {
                continue;
            }
            FrameNode f = (FrameNode) insn;
            List<Object> locals = f.local == null ? new ArrayList<>() : new ArrayList<>(f.local);
            int slots = 0;
            for (Object t : locals) {
                slots += (t == LONG || t == DOUBLE) ? 2 : 1;
            }
            while (slots < credit) {
                locals.add(TOP);
                slots++;
            }
            locals.add(INTEGER);
            f.local = locals;
        }
    }

    // ------------------------------------------------------------------------------------------
    // catch guards

    private void guardHandlers() {
        Set<LabelNode> guarded = Instrumenter.identitySet();
        List<LabelNode[]> guards = new ArrayList<>();
        Map<LabelNode, LabelNode[]> guardOf = new LinkedHashMap<>(); // LabelNode: identity equality
        Map<LabelNode, LabelNode[]> releaseOf = new LinkedHashMap<>();
        for (TryCatchBlockNode tcb : mn.tryCatchBlocks) {
            if (guarded.contains(tcb.handler) || releaseOf.containsKey(tcb.handler)) {
                continue;
            }
            AbstractInsnNode rethrow = monitorReleaseRethrow(tcb.handler);
            if (rethrow != null) {
                LabelNode after = new LabelNode();
                insns.insert(rethrow, after);
                releaseOf.put(tcb.handler, new LabelNode[] {tcb.handler, after});
                continue;
            }
            guarded.add(tcb.handler);
            AbstractInsnNode at = tcb.handler;
            while (at.getNext() != null && at.getNext().getOpcode() < 0) {
                at = at.getNext(); // past the label's line number and frame
            }
            LabelNode from = new LabelNode();
            LabelNode to = new LabelNode();
            InsnList il = new InsnList();
            il.add(from);
            il.add(new InsnNode(DUP));
            il.add(new MethodInsnNode(INVOKESTATIC, probes, "caught", "(Ljava/lang/Throwable;)V", false));
            il.add(to);
            insns.insert(at, il);
            guards.add(new LabelNode[] {from, to});
            guardOf.put(tcb.handler, new LabelNode[] {from, to});
        }
        excludeGuardsFromGuardedRanges(guarded, guards);
        if (!releaseOf.isEmpty()) {
            breakCycles(guardOf, releaseOf);
        }
    }

    /**
     * Guards stay inside the ranges of unguarded handlers (those that only release a monitor and
     * rethrow), so that the abort a guard throws inside a {@code synchronized} block releases the
     * monitor on its way out, and an inner such handler's code stays inside an outer one's. But
     * crafted code can make that a cycle with no way out: {@code monitorexit} on a monitor the
     * thread does not hold throws, an unguarded handler covering its own code (as javac's do, for
     * asynchronous exceptions) catches that forever, and a guarded handler and an unguarded one
     * covering each other's code pass the abort and the monitor error back and forth. javac never
     * nests handlers both ways, and HotSpot assumes a balanced {@code monitorexit} cannot throw,
     * so the only ranges cut here are an unguarded handler's own code from its own ranges (which
     * changes nothing for javac's code) and crafted cycles.
     */
    private void breakCycles(Map<LabelNode, LabelNode[]> guardOf, Map<LabelNode, LabelNode[]> releaseOf) {
        Map<LabelNode, LabelNode[]> all = new LinkedHashMap<>(guardOf);
        all.putAll(releaseOf);
        for (Map.Entry<LabelNode, LabelNode[]> a : all.entrySet()) {
            for (LabelNode b : releaseOf.keySet()) {
                if (covers(b, a.getValue()) && reaches(b, a.getKey(), guardOf, releaseOf)) {
                    cut(l -> l == b, a.getValue());
                }
            }
        }
    }

    /**
     * Whether what {@code from}'s code throws can come back to {@code to}, through handlers that
     * cover each other's code (for a guarded handler: its guard).
     */
    private boolean reaches(LabelNode from, LabelNode to, Map<LabelNode, LabelNode[]> guardOf,
            Map<LabelNode, LabelNode[]> releaseOf) {
        Set<LabelNode> seen = Instrumenter.identitySet();
        List<LabelNode> todo = new ArrayList<>(List.of(from));
        while (!todo.isEmpty()) {
            LabelNode at = todo.remove(todo.size() - 1);
            if (!seen.add(at)) {
                continue;
            }
            LabelNode[] code = releaseOf.containsKey(at) ? releaseOf.get(at) : guardOf.get(at);
            for (TryCatchBlockNode tcb : mn.tryCatchBlocks) {
                if ((guardOf.containsKey(tcb.handler) || releaseOf.containsKey(tcb.handler)) && overlaps(tcb, code)) {
                    if (tcb.handler == to) {
                        return true;
                    }
                    todo.add(tcb.handler);
                }
            }
        }
        return false;
    }

    private boolean covers(LabelNode handler, LabelNode[] code) {
        for (TryCatchBlockNode tcb : mn.tryCatchBlocks) {
            if (tcb.handler == handler && overlaps(tcb, code)) {
                return true;
            }
        }
        return false;
    }

    private boolean overlaps(TryCatchBlockNode tcb, LabelNode[] code) {
        return insns.indexOf(tcb.start) < insns.indexOf(code[1]) && insns.indexOf(tcb.end) > insns.indexOf(code[0]);
    }

    /** Cuts {@code code} out of the ranges of the handlers {@code whose} accepts. */
    private void cut(java.util.function.Predicate<LabelNode> whose, LabelNode[] code) {
        int from = insns.indexOf(code[0]);
        int to = insns.indexOf(code[1]);
        List<TryCatchBlockNode> out = new ArrayList<>();
        for (TryCatchBlockNode p : mn.tryCatchBlocks) {
            int start = insns.indexOf(p.start);
            int end = insns.indexOf(p.end);
            if (!whose.test(p.handler) || end <= from || start >= to) {
                out.add(p);
                continue;
            }
            if (start < from) {
                addIfNotEmpty(out, p, p.start, code[0]);
            }
            if (end > to) {
                addIfNotEmpty(out, p, code[1], p.end);
            }
        }
        mn.tryCatchBlocks = out;
    }

    /**
     * javac lets a {@code finally} handler's range cover the handler's own first instructions;
     * a guard there would rethrow the abort into its own handler forever. So no guarded handler
     * may cover a guard: the abort a guard throws goes to the caller (or to a handler that only
     * releases a monitor and rethrows).
     */
    private void excludeGuardsFromGuardedRanges(Set<LabelNode> guarded, List<LabelNode[]> guards) {
        if (guards.isEmpty()) {
            return;
        }
        List<TryCatchBlockNode> out = new ArrayList<>();
        for (TryCatchBlockNode tcb : mn.tryCatchBlocks) {
            if (!guarded.contains(tcb.handler)) {
                out.add(tcb);
                continue;
            }
            List<TryCatchBlockNode> pieces = new ArrayList<>(List.of(tcb));
            for (LabelNode[] g : guards) {
                List<TryCatchBlockNode> next = new ArrayList<>();
                for (TryCatchBlockNode p : pieces) {
                    int start = insns.indexOf(p.start);
                    int end = insns.indexOf(p.end);
                    int gFrom = insns.indexOf(g[0]);
                    int gTo = insns.indexOf(g[1]);
                    if (gFrom >= start && gFrom < end) {
                        addIfNotEmpty(next, p, p.start, g[0]);
                        addIfNotEmpty(next, p, g[1], p.end);
                    } else {
                        next.add(p);
                    }
                }
                pieces = next;
            }
            out.addAll(pieces);
        }
        mn.tryCatchBlocks = out;
    }

    private void addIfNotEmpty(List<TryCatchBlockNode> into, TryCatchBlockNode like, LabelNode start, LabelNode end) {
        for (AbstractInsnNode i = start; i != null && i != end; i = i.getNext()) {
            if (i.getOpcode() >= 0) {
                TryCatchBlockNode t = new TryCatchBlockNode(start, end, like.handler, like.type);
                t.visibleTypeAnnotations = like.visibleTypeAnnotations;
                t.invisibleTypeAnnotations = like.invisibleTypeAnnotations;
                into.add(t);
                return;
            }
        }
    }

    /**
     * The handler javac (and others) emit for {@code synchronized}: store, release the monitor,
     * rethrow. Guarding it would leave the monitor held; it cannot swallow, and once no cycle of
     * handlers runs through it ({@link #breakCycles}) it cannot loop, so it needs no guard.
     *
     * @return the handler's {@code athrow} when it has that shape, else null
     */
    private static AbstractInsnNode monitorReleaseRethrow(LabelNode handler) {
        boolean exits = false;
        for (AbstractInsnNode i = handler.getNext(); i != null; i = i.getNext()) {
            int op = i.getOpcode();
            if (op < 0 || op == ASTORE || op == ALOAD) {
                continue;
            }
            if (op == MONITOREXIT) {
                exits = true;
                continue;
            }
            return op == ATHROW && exits ? i : null;
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------
    // arrays

    /**
     * JDK calls whose last argument, an int, sizes what they allocate: checked before the call
     * like an array of that many elements ({@code shift} is log2 of the element size), so one
     * call cannot allocate far past the budget before control returns. Reflection reaches them
     * unchecked; what they allocate is then charged when control returns.
     */
    private static final java.util.Map<String, Integer> SIZED = sized();

    private static java.util.Map<String, Integer> sized() {
        java.util.Map<String, Integer> m = new java.util.HashMap<>();
        for (String sb : new String[] {"java/lang/StringBuilder", "java/lang/StringBuffer"}) {
            m.put(sb + ".<init>(I)V", 0);
            m.put(sb + ".setLength(I)V", 0);
            m.put(sb + ".ensureCapacity(I)V", 0);
        }
        for (String c : new String[] {"java/util/ArrayList", "java/util/Vector", "java/util/HashMap", "java/util/HashSet",
                "java/util/LinkedHashMap", "java/util/LinkedHashSet", "java/util/ArrayDeque", "java/util/Hashtable",
                "java/util/IdentityHashMap", "java/util/PriorityQueue", "java/util/concurrent/ConcurrentHashMap"}) {
            m.put(c + ".<init>(I)V", REF_SHIFT);
        }
        m.put("java/util/ArrayList.ensureCapacity(I)V", REF_SHIFT);
        m.put("java/util/Vector.ensureCapacity(I)V", REF_SHIFT);
        m.put("java/io/ByteArrayOutputStream.<init>(I)V", 0);
        String[][] arrays = {{"[Z", "0"}, {"[B", "0"}, {"[C", "1"}, {"[S", "1"}, {"[I", "2"}, {"[F", "2"}, {"[J", "3"},
            {"[D", "3"}, {"[Ljava/lang/Object;", "2"}};
        for (String[] a : arrays) {
            m.put("java/util/Arrays.copyOf(" + a[0] + "I)" + a[0], Integer.parseInt(a[1]));
        }
        return java.util.Map.copyOf(m);
    }

    private void checkArrays() {
        for (AbstractInsnNode insn : insns.toArray()) {
            int op = insn.getOpcode();
            if (insn instanceof MethodInsnNode) {
                checkSizedCall((MethodInsnNode) insn);
                continue;
            }
            if (op == NEWARRAY || op == ANEWARRAY) {
                if (smallConstant(insn.getPrevious())) {
                    continue;
                }
                int shift = op == ANEWARRAY ? REF_SHIFT : primitiveShift(((IntInsnNode) insn).operand);
                InsnList il = new InsnList();
                il.add(new InsnNode(DUP));
                il.add(pushInt(shift));
                il.add(new MethodInsnNode(INVOKESTATIC, probes, "array", "(II)V", false));
                insns.insertBefore(insn, il);
            } else if (op == MULTIANEWARRAY) {
                checkMultiArray((MultiANewArrayInsnNode) insn);
            }
        }
    }

    private void checkSizedCall(MethodInsnNode m) {
        String key = m.owner + "." + m.name + m.desc;
        Integer shift = SIZED.get(key);
        InsnList il = new InsnList();
        if (shift != null) {
            if (smallConstant(m.getPrevious())) {
                return;
            }
            il.add(new InsnNode(DUP));
            il.add(pushInt(shift));
            il.add(new MethodInsnNode(INVOKESTATIC, probes, "array", "(II)V", false));
        } else if (key.equals("java/lang/String.repeat(I)Ljava/lang/String;")) {
            il.add(new InsnNode(DUP2));
            il.add(new MethodInsnNode(INVOKESTATIC, probes, "repeat", "(Ljava/lang/String;I)V", false));
        } else if (key.equals("java/util/BitSet.<init>(I)V") || key.equals("java/util/BitSet.set(I)V")
                || key.equals("java/util/BitSet.clear(I)V") || key.equals("java/math/BigInteger.shiftLeft(I)Ljava/math/BigInteger;")
                || key.equals("java/math/BigInteger.setBit(I)Ljava/math/BigInteger;")) {
            il.add(new InsnNode(DUP));
            il.add(new MethodInsnNode(INVOKESTATIC, probes, "bits", "(I)V", false));
        } else {
            return;
        }
        insns.insertBefore(m, il);
    }

    private void checkMultiArray(MultiANewArrayInsnNode insn) {
        int n = insn.dims;
        Type type = Type.getType(insn.desc);
        int shift = n == type.getDimensions() ? sortShift(type.getElementType()) : REF_SHIFT;
        int base = mn.maxLocals;
        mn.maxLocals += n;
        InsnList il = new InsnList();
        for (int i = n - 1; i >= 0; i--) {
            il.add(new VarInsnNode(ISTORE, base + i));
        }
        il.add(new InsnNode(LCONST_1));
        for (int i = 0; i < n; i++) {
            il.add(new VarInsnNode(ILOAD, base + i));
            il.add(new MethodInsnNode(INVOKESTATIC, probes, "dim", "(JI)J", false));
        }
        il.add(pushInt(shift));
        il.add(new InsnNode(LCONST_1));
        for (int i = 0; i < n - 1; i++) {
            il.add(new VarInsnNode(ILOAD, base + i));
            il.add(new MethodInsnNode(INVOKESTATIC, probes, "dim", "(JI)J", false));
        }
        il.add(new MethodInsnNode(INVOKESTATIC, probes, "arrayTotal", "(JIJ)V", false));
        for (int i = 0; i < n; i++) {
            il.add(new VarInsnNode(ILOAD, base + i));
        }
        insns.insertBefore(insn, il);
    }

    private static boolean smallConstant(AbstractInsnNode prev) {
        while (prev != null && prev.getOpcode() < 0) {
            prev = prev.getPrevious();
        }
        if (prev == null) {
            return false;
        }
        int op = prev.getOpcode();
        if (op >= ICONST_M1 && op <= ICONST_5) {
            return true;
        }
        if (op == BIPUSH || op == SIPUSH) {
            return ((IntInsnNode) prev).operand <= SMALL_ARRAY;
        }
        return false;
    }

    private static int primitiveShift(int tType) {
        switch (tType) {
            case T_BOOLEAN:
            case T_BYTE:
                return 0;
            case T_CHAR:
            case T_SHORT:
                return 1;
            case T_INT:
            case T_FLOAT:
                return 2;
            default:
                return 3;
        }
    }

    private static int sortShift(Type t) {
        switch (t.getSort()) {
            case Type.BOOLEAN:
            case Type.BYTE:
                return 0;
            case Type.CHAR:
            case Type.SHORT:
                return 1;
            case Type.INT:
            case Type.FLOAT:
                return 2;
            case Type.LONG:
            case Type.DOUBLE:
                return 3;
            default:
                return REF_SHIFT;
        }
    }

    private static AbstractInsnNode pushInt(int v) {
        return v >= -1 && v <= 5 ? new InsnNode(ICONST_0 + v) : new IntInsnNode(BIPUSH, v);
    }

    // ------------------------------------------------------------------------------------------
    // call-site policy

    private void applyCallSitePolicy() {
        for (AbstractInsnNode insn : insns.toArray()) {
            String api = reportedApi(insn);
            if (api != null) {
                denied.add(api);
            }
            if (insn instanceof MethodInsnNode) {
                rewriteCall((MethodInsnNode) insn);
            } else if (insn instanceof FieldInsnNode) {
                FieldInsnNode f = (FieldInsnNode) insn;
                if (CallSitePolicy.deniedOwner(f.owner)) {
                    denyField(f);
                }
            } else if (insn instanceof TypeInsnNode) {
                TypeInsnNode t = (TypeInsnNode) insn;
                if (CallSitePolicy.deniedOwner(t.desc)) {
                    denyType(t);
                }
            } else if (insn instanceof LdcInsnNode) {
                Object c = ((LdcInsnNode) insn).cst;
                if (deniedConstant(c)) {
                    Type t = c instanceof ConstantDynamic ? Type.getType(((ConstantDynamic) c).getDescriptor())
                            : Type.getType(Object.class);
                    replace(insn, t, new Type[0], false, describe(c));
                }
            } else if (insn instanceof InvokeDynamicInsnNode) {
                InvokeDynamicInsnNode indy = (InvokeDynamicInsnNode) insn;
                boolean bad = deniedConstant(indy.bsm);
                for (Object a : indy.bsmArgs) {
                    bad |= deniedConstant(a);
                }
                if (bad) {
                    replace(insn, Type.getReturnType(indy.desc), Type.getArgumentTypes(indy.desc), false,
                            "a method handle to a denied API in " + indy.name);
                }
            }
        }
    }

    /** JDK calls that run a regular expression, and the probes that run it over metered text. */
    private static final java.util.Map<String, String> REGEX = java.util.Map.of(
            "java/util/regex/Pattern.matcher(Ljava/lang/CharSequence;)Ljava/util/regex/Matcher;",
            "matcher(Ljava/util/regex/Pattern;Ljava/lang/CharSequence;)Ljava/util/regex/Matcher;",
            "java/util/regex/Pattern.matches(Ljava/lang/String;Ljava/lang/CharSequence;)Z",
            "patternMatches(Ljava/lang/String;Ljava/lang/CharSequence;)Z",
            "java/lang/String.matches(Ljava/lang/String;)Z", "stringMatches(Ljava/lang/String;Ljava/lang/String;)Z",
            "java/lang/String.replaceAll(Ljava/lang/String;Ljava/lang/String;)Ljava/lang/String;",
            "replaceAll(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;)Ljava/lang/String;",
            "java/lang/String.replaceFirst(Ljava/lang/String;Ljava/lang/String;)Ljava/lang/String;",
            "replaceFirst(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;)Ljava/lang/String;",
            "java/lang/String.split(Ljava/lang/String;)[Ljava/lang/String;",
            "split(Ljava/lang/String;Ljava/lang/String;)[Ljava/lang/String;",
            "java/lang/String.split(Ljava/lang/String;I)[Ljava/lang/String;",
            "split(Ljava/lang/String;Ljava/lang/String;I)[Ljava/lang/String;");

    private void rewriteCall(MethodInsnNode m) {
        boolean isStatic = m.getOpcode() == INVOKESTATIC;
        String regex = REGEX.get(m.owner + "." + m.name + m.desc);
        if (regex != null && m.getOpcode() != INVOKESPECIAL) {
            int paren = regex.indexOf('(');
            insns.set(m, new MethodInsnNode(INVOKESTATIC, probes, regex.substring(0, paren), regex.substring(paren), false));
            return;
        }
        if (CallSitePolicy.deniedOwner(m.owner)) {
            if (m.name.equals("<init>")) {
                // the NEW was replaced by a null; drop the arguments and that null
                replace(m, Type.VOID_TYPE, Type.getArgumentTypes(m.desc), true, m.owner.replace('/', '.'));
            } else {
                replace(m, Type.getReturnType(m.desc), Type.getArgumentTypes(m.desc), !isStatic,
                        m.owner.replace('/', '.') + "." + m.name);
            }
            return;
        }
        if (isStatic && m.owner.equals("java/lang/ClassLoader")
                && (m.name.equals("getSystemClassLoader") || m.name.equals("getPlatformClassLoader"))
                && m.desc.equals("()Ljava/lang/ClassLoader;")) {
            insns.set(m, new MethodInsnNode(INVOKESTATIC, probes, "systemClassLoader", m.desc, false));
        } else if (!isStatic && m.owner.equals("java/lang/Class") && m.name.equals("getClassLoader")
                && m.desc.equals("()Ljava/lang/ClassLoader;")) {
            insns.set(m, new MethodInsnNode(INVOKESTATIC, probes, "classLoader",
                    "(Ljava/lang/Class;)Ljava/lang/ClassLoader;", false));
        } else if (!isStatic && m.name.equals("getParent") && m.desc.equals("()Ljava/lang/ClassLoader;")) {
            insns.set(m, new MethodInsnNode(INVOKESTATIC, probes, "parent",
                    "(Ljava/lang/Object;)Ljava/lang/ClassLoader;", false));
        }
    }

    private void denyField(FieldInsnNode f) {
        Type t = Type.getType(f.desc);
        String api = f.owner.replace('/', '.') + "." + f.name;
        switch (f.getOpcode()) {
            case GETSTATIC:
                replace(f, t, new Type[0], false, api);
                break;
            case PUTSTATIC:
                replace(f, Type.VOID_TYPE, new Type[] {t}, false, api);
                break;
            case GETFIELD:
                replace(f, t, new Type[0], true, api);
                break;
            default:
                replace(f, Type.VOID_TYPE, new Type[] {t}, true, api);
                break;
        }
    }

    private void denyType(TypeInsnNode t) {
        String api = t.desc.replace('/', '.');
        switch (t.getOpcode()) {
            case NEW:
                replace(t, Type.getObjectType("java/lang/Object"), new Type[0], false, api);
                break;
            case ANEWARRAY:
                replace(t, Type.getType("[Ljava/lang/Object;"), new Type[] {Type.INT_TYPE}, false, api);
                break;
            case INSTANCEOF:
                replace(t, Type.INT_TYPE, new Type[0], true, api);
                break;
            default: // CHECKCAST: only null can pass, and the value is dropped by the denial
                replace(t, Type.getObjectType("java/lang/Object"), new Type[0], true, api);
                break;
        }
    }

    private static boolean deniedConstant(Object c) {
        if (c instanceof Type) {
            Type t = (Type) c;
            return t.getSort() == Type.OBJECT || t.getSort() == Type.ARRAY
                    ? CallSitePolicy.deniedOwner(t.getInternalName())
                    : false;
        }
        if (c instanceof ConstantDynamic) {
            ConstantDynamic cd = (ConstantDynamic) c;
            boolean bad = deniedConstant(cd.getBootstrapMethod()) || deniedConstant(Type.getType(cd.getDescriptor()));
            for (int i = 0; i < cd.getBootstrapMethodArgumentCount(); i++) {
                bad |= deniedConstant(cd.getBootstrapMethodArgument(i));
            }
            return bad;
        }
        if (c instanceof Handle) {
            Handle h = (Handle) c;
            if (CallSitePolicy.deniedOwner(h.getOwner())) {
                return true;
            }
            String n = h.getName();
            return (h.getOwner().equals("java/lang/Class") && n.equals("getClassLoader"))
                    || (h.getOwner().equals("java/lang/ClassLoader")
                            && (n.equals("getSystemClassLoader") || n.equals("getPlatformClassLoader")
                                    || n.equals("getParent")));
        }
        return false;
    }

    private static String describe(Object c) {
        if (c instanceof Handle) {
            Handle h = (Handle) c;
            return h.getOwner().replace('/', '.') + "." + h.getName();
        }
        return String.valueOf(c);
    }

    /**
     * Replaces an instruction by: drop its operands, call the denial (which throws), push a dummy
     * value of its result type. Straight-line code of the same stack effect, so frames still hold.
     */
    private void replace(AbstractInsnNode insn, Type result, Type[] args, boolean receiver, String api) {
        denied.add(api);
        InsnList il = new InsnList();
        for (int i = args.length - 1; i >= 0; i--) {
            il.add(new InsnNode(args[i].getSize() == 2 ? POP2 : POP));
        }
        if (receiver) {
            il.add(new InsnNode(POP));
        }
        il.add(new LdcInsnNode(api));
        il.add(new MethodInsnNode(INVOKESTATIC, probes, "denied", "(Ljava/lang/String;)V", false));
        switch (result.getSort()) {
            case Type.VOID:
                break;
            case Type.LONG:
                il.add(new InsnNode(LCONST_0));
                break;
            case Type.DOUBLE:
                il.add(new InsnNode(DCONST_0));
                break;
            case Type.FLOAT:
                il.add(new InsnNode(FCONST_0));
                break;
            case Type.OBJECT:
            case Type.ARRAY:
                il.add(new InsnNode(ACONST_NULL));
                break;
            default:
                il.add(new InsnNode(ICONST_0));
                break;
        }
        insns.insertBefore(insn, il);
        insns.remove(insn);
    }

    /** The denied API an instruction mentions, for reports; null when none. */
    static String reportedApi(AbstractInsnNode insn) {
        if (insn instanceof MethodInsnNode) {
            MethodInsnNode m = (MethodInsnNode) insn;
            return CallSitePolicy.reported(m.owner, m.name);
        }
        if (insn instanceof FieldInsnNode) {
            FieldInsnNode f = (FieldInsnNode) insn;
            return CallSitePolicy.reported(f.owner, f.name);
        }
        return null;
    }
}
