package dev.ringfence.agent.gates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.analysis.Analyzer;
import org.objectweb.asm.tree.analysis.AnalyzerException;
import org.objectweb.asm.tree.analysis.BasicValue;
import org.objectweb.asm.tree.analysis.BasicVerifier;

/** Weaves every class of the gate table, as found in the running JDK, and checks the result. */
class GateWeaverTest {
    private static final Map<String, byte[]> ORIGINAL = new LinkedHashMap<>();
    private static final Map<String, GateWeaver.Woven> WOVEN = new LinkedHashMap<>();

    @BeforeAll
    static void weaveTheTable() {
        for (String owner : GateTable.owners()) {
            byte[] bytes = JdkClasses.read(owner);
            if (bytes != null) {
                ORIGINAL.put(owner, bytes);
                GateWeaver.Woven w = GateWeaver.weave(owner, bytes);
                if (w != null) {
                    WOVEN.put(owner, w);
                }
            }
        }
    }

    @Test
    void shouldProduceBytecodeThatVerifies() throws AnalyzerException {
        assertTrue(WOVEN.size() > 40, "woven classes: " + WOVEN.keySet());
        for (Map.Entry<String, GateWeaver.Woven> e : WOVEN.entrySet()) {
            ClassNode cn = node(e.getValue().bytes());
            for (MethodNode m : cn.methods) {
                if (m.instructions.size() > 0) {
                    try {
                        new Analyzer<BasicValue>(new BasicVerifier()).analyze(cn.name, m);
                    } catch (AnalyzerException ex) {
                        fail(cn.name + "." + m.name + m.desc + ": " + ex.getMessage());
                    }
                }
            }
        }
    }

    @Test
    void shouldFitEveryRowThatMatchesAMethod() {
        List<String> skipped = new ArrayList<>();
        for (GateWeaver.Woven w : WOVEN.values()) {
            skipped.addAll(w.skipped());
        }
        assertEquals(List.of(), skipped);
    }

    @Test
    void shouldCoverEveryCapabilityOnThisJdk() {
        Set<String> covered = new LinkedHashSet<>();
        for (GateWeaver.Woven w : WOVEN.values()) {
            for (Sites.Site s : w.sites()) {
                covered.add(s.spec().capability());
            }
        }
        assertEquals(GateTable.capabilities(), covered);
    }

    @Test
    void shouldCallTheGateAtTheStartOfEveryGatedMethod() {
        for (GateWeaver.Woven w : WOVEN.values()) {
            ClassNode cn = node(w.bytes());
            for (Sites.Site s : w.sites()) {
                MethodNode m = method(cn, s.method(), s.desc());
                MethodInsnNode gate = firstCall(m);
                if (s.method().equals("<init>")) {
                    // just after the call that initialises this (arguments of this(...) may call first)
                    MethodInsnNode init = gate;
                    while (!(init.getOpcode() == Opcodes.INVOKESPECIAL && init.name.equals("<init>"))) {
                        init = nextCall(init);
                    }
                    gate = nextCall(init);
                }
                assertEquals(GateWeaver.GATE, gate.owner, s.owner() + "." + s.method() + s.desc());
                boolean reserves = s.spec().kind().reserves();
                assertEquals(reserves ? GateWeaver.RESERVE : GateWeaver.CHECK, gate.name);
                assertEquals(reserves ? GateWeaver.RESERVE_DESC : GateWeaver.CHECK_DESC, gate.desc);
            }
        }
    }

    @Test
    void shouldChangeNoMemberOrSignature() {
        for (Map.Entry<String, GateWeaver.Woven> e : WOVEN.entrySet()) {
            ClassNode before = node(ORIGINAL.get(e.getKey()));
            ClassNode after = node(e.getValue().bytes());
            assertEquals(members(before), members(after), e.getKey());
            assertEquals(before.superName, after.superName);
            assertEquals(before.interfaces, after.interfaces);
        }
    }

    @Test
    void shouldGateEveryWayToReserveMemoryOutsideTheHeapOnThisJdk() {
        assertGated("java/nio/Bits", "reserveMemory", "(JJ)V");
        assertGated("sun/nio/ch/FileChannelImpl", "mapInternal",
                "(Ljava/nio/channels/FileChannel$MapMode;JJIZ)Lsun/nio/ch/FileChannelImpl$Unmapper;");
        assertGated("java/util/zip/Deflater", "<init>", "(IZ)V");
        assertGated("java/util/zip/Inflater", "<init>", "(Z)V");
        if (Runtime.version().feature() >= 25) {
            // arenas other than ofAuto() allocate without Bits, past -XX:MaxDirectMemorySize
            assertGated("jdk/internal/foreign/SegmentFactories", "allocateNativeInternal",
                    "(JJLjdk/internal/foreign/MemorySessionImpl;ZZ)J");
        }
    }

    @Test
    void shouldLeaveClassesOutsideTheTableAlone() {
        assertNull(GateWeaver.weave("java/lang/String", JdkClasses.read("java/lang/String")));
    }

    @Test
    void shouldGateTheExitChokePoints() {
        assertGated("java/lang/Runtime", "exit", "(I)V");
        assertGated("java/lang/Runtime", "halt", "(I)V");
    }

    @Test
    void shouldGateTheForkJoinPoolSubmissionOfThisJdk() {
        if (JdkClasses.feature() < 21) {
            assertGated("java/util/concurrent/ForkJoinPool", "externalPush", "(Ljava/util/concurrent/ForkJoinTask;)V");
        } else {
            assertGated("java/util/concurrent/ForkJoinPool", "submissionQueue", "(IZ)Ljava/util/concurrent/ForkJoinPool$WorkQueue;");
            assertGated("java/lang/VirtualThread", "start", "(Ljdk/internal/vm/ThreadContainer;)V");
        }
    }

    @Test
    void shouldGateSocketsAndNameResolution() {
        assertGated("sun/nio/ch/Net", "connect", "(Ljava/net/ProtocolFamily;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)I");
        assertGated("sun/nio/ch/Net", "socket", "(Ljava/net/ProtocolFamily;Z)Ljava/io/FileDescriptor;");
        assertTrue(gatedNames("java/net/InetAddress").contains("getAllByName0"));
    }

    @Test
    void shouldGateTheClassLoaderConstructorAfterItsSuperCall() {
        assertGated("java/lang/ClassLoader", "<init>", "(Ljava/lang/Void;Ljava/lang/String;Ljava/lang/ClassLoader;)V");
    }

    @Test
    void shouldGateEveryPublicStaticMethodOfManagementFactory() {
        ClassNode cn = node(ORIGINAL.get("java/lang/management/ManagementFactory"));
        Set<String> expected = new LinkedHashSet<>();
        for (MethodNode m : cn.methods) {
            if ((m.access & (Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC)) == (Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC)) {
                expected.add(m.name + m.desc);
            }
        }
        Set<String> gated = new LinkedHashSet<>();
        for (Sites.Site s : WOVEN.get("java/lang/management/ManagementFactory").sites()) {
            gated.add(s.method() + s.desc());
        }
        assertEquals(expected, gated);
    }

    @Test
    void shouldKeepSiteNumbersWhenWeavingAgain() {
        String owner = "java/lang/Runtime";
        List<Sites.Site> again = GateWeaver.weave(owner, ORIGINAL.get(owner)).sites();
        assertEquals(WOVEN.get(owner).sites(), again);
    }

    @Test
    void shouldNameTheApiAsAUserWouldSearchForIt() {
        Sites.Site exit = site("java/lang/Runtime", "exit", "(I)V");
        assertEquals("java.lang.Runtime.exit", exit.api());
        Sites.Site open = site("java/io/FileInputStream", "<init>", "(Ljava/io/File;)V");
        assertEquals("java.io.FileInputStream", open.api());
    }

    private static void assertGated(String owner, String name, String desc) {
        assertNotNull(site(owner, name, desc), owner + "." + name + desc + " is not gated");
    }

    private static Sites.Site site(String owner, String name, String desc) {
        GateWeaver.Woven w = WOVEN.get(owner);
        if (w != null) {
            for (Sites.Site s : w.sites()) {
                if (s.method().equals(name) && s.desc().equals(desc)) {
                    return s;
                }
            }
        }
        return null;
    }

    private static Set<String> gatedNames(String owner) {
        Set<String> out = new LinkedHashSet<>();
        for (Sites.Site s : WOVEN.get(owner).sites()) {
            out.add(s.method());
        }
        return out;
    }

    private static ClassNode node(byte[] bytes) {
        ClassNode cn = new ClassNode();
        new ClassReader(bytes).accept(cn, 0);
        return cn;
    }

    private static MethodNode method(ClassNode cn, String name, String desc) {
        for (MethodNode m : cn.methods) {
            if (m.name.equals(name) && m.desc.equals(desc)) {
                return m;
            }
        }
        throw new AssertionError(cn.name + "." + name + desc + " not found");
    }

    private static MethodInsnNode firstCall(MethodNode m) {
        return nextCall(m.instructions.getFirst());
    }

    private static MethodInsnNode nextCall(AbstractInsnNode from) {
        for (AbstractInsnNode i = from instanceof MethodInsnNode ? from.getNext() : from; i != null; i = i.getNext()) {
            if (i instanceof MethodInsnNode) {
                return (MethodInsnNode) i;
            }
        }
        throw new AssertionError("no call");
    }

    private static List<String> members(ClassNode cn) {
        List<String> out = new ArrayList<>();
        for (FieldNode f : cn.fields) {
            out.add("F " + f.access + " " + f.name + f.desc + " " + f.signature);
        }
        for (MethodNode m : cn.methods) {
            out.add("M " + m.access + " " + m.name + m.desc + " " + m.signature + " " + m.exceptions);
        }
        return out;
    }
}
