package dev.ringfence.limiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;

/** {@link Instrumenter#bodiesOnly}: probes for a host's loaded classes, fit for retransformation. */
class InstrumenterBodiesOnlyTest {
    private static final String BRIDGE = "x/Bridge";
    private static final String SOURCE = String.join("\n",
            "package h;",
            "public class Plugin {",
            "  public int run(int n) {",
            "    int[] a = new int[n];",
            "    int s = 0;",
            "    for (int i = 0; i < n; i++) { try { s += a[i]; } catch (RuntimeException e) { s--; } }",
            "    if (s < 0) { System.exit(3); }",
            "    return s + getClass().getClassLoader().hashCode();",
            "  }",
            "  @Override protected void finalize() { }",
            "}");

    private static ClassNode read(byte[] bytes) {
        ClassNode cn = new ClassNode();
        new ClassReader(bytes).accept(cn, 0);
        return cn;
    }

    private static List<String> calls(ClassNode cn) {
        List<String> out = new ArrayList<>();
        for (MethodNode mn : cn.methods) {
            for (AbstractInsnNode i : mn.instructions) {
                if (i instanceof MethodInsnNode) {
                    MethodInsnNode m = (MethodInsnNode) i;
                    out.add(m.owner + "." + m.name + m.desc);
                }
            }
        }
        return out;
    }

    @Test
    void shouldCallOnlyTheGivenProbeClassAndLeaveTheHostsCallsAlone() {
        byte[] original = Compiler.compile(Map.of("h.Plugin", SOURCE)).get("h.Plugin");
        byte[] bytes = Instrumenter.bodiesOnly(BRIDGE).instrument(original).bytes();
        List<String> calls = calls(read(bytes));
        assertTrue(calls.contains(BRIDGE + ".enter()I"), calls.toString());
        assertTrue(calls.contains(BRIDGE + ".edge(I)I"), calls.toString());
        assertTrue(calls.contains(BRIDGE + ".caught(Ljava/lang/Throwable;)V"), calls.toString());
        assertTrue(calls.contains(BRIDGE + ".array(II)V"), calls.toString());
        assertTrue(calls.contains("java/lang/System.exit(I)V"), calls.toString());
        assertTrue(calls.contains("java/lang/Class.getClassLoader()Ljava/lang/ClassLoader;"), calls.toString());
        assertFalse(calls.stream().anyMatch(c -> c.startsWith(MethodRewriter.PROBES)), calls.toString());
        assertEquals(List.of(), Instrumenter.verify(bytes));
    }

    @Test
    void shouldKeepEveryMethodAndFieldAsItWas() {
        byte[] original = Compiler.compile(Map.of("h.Plugin", SOURCE)).get("h.Plugin");
        ClassNode before = read(original);
        ClassNode after = read(Instrumenter.bodiesOnly(BRIDGE).instrument(original).bytes());
        assertEquals(before.methods.stream().map(m -> m.name + m.desc + m.access).toList(),
                after.methods.stream().map(m -> m.name + m.desc + m.access).toList());
        assertEquals(before.fields.size(), after.fields.size());
    }
}
