package dev.ringfence.agent.gates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.ClassReader;

/** The jar of classes put on the boot class path. */
class BootClassesTest {
    @Test
    void shouldPackExactlyTheGateAndItsHook(@TempDir Path dir) throws IOException {
        Path jar = Gates.writeBootJar(dir.resolve("boot.jar"), List.of(Gates.BOOT_CLASSES));

        assertEquals(List.of(Gates.BOOT_CLASSES), entries(jar));
    }

    @Test
    void shouldCopyOnlyTheBootClassesOutOfAChildsAgentJar(@TempDir Path dir) throws IOException {
        Path agent = dir.resolve("agent.jar");
        try (JarOutputStream j = new JarOutputStream(Files.newOutputStream(agent))) {
            j.putNextEntry(new JarEntry("dev/ringfence/agent/Other.class"));
            j.write(new byte[] {1, 2, 3});
            for (String name : Gates.BOOT_CLASSES) {
                j.putNextEntry(new JarEntry(name));
                j.write(name.getBytes(StandardCharsets.UTF_8));
            }
        }
        Path copy = dir.resolve("copy.jar");

        Gates.copyBootClasses(agent, copy);

        assertEquals(List.of(Gates.BOOT_CLASSES), entries(copy));
        try (JarFile j = new JarFile(copy.toFile())) {
            for (String name : Gates.BOOT_CLASSES) {
                assertEquals(name, new String(j.getInputStream(j.getJarEntry(name)).readAllBytes(), StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void shouldRefuseAnAgentJarWithoutTheBootClasses(@TempDir Path dir) throws IOException {
        Path agent = dir.resolve("agent.jar");
        try (JarOutputStream j = new JarOutputStream(Files.newOutputStream(agent))) {
            j.putNextEntry(new JarEntry(Gates.BOOT_CLASSES[0]));
        }

        IOException e = assertThrows(IOException.class, () -> Gates.copyBootClasses(agent, dir.resolve("copy.jar")));
        assertTrue(e.getMessage().contains(Gates.BOOT_CLASSES[1]), e.getMessage());
    }

    @Test
    void shouldWriteNoJarForChildrenInAJvmWithoutGates(@TempDir Path dir) {
        // this test JVM runs no agent: its children write their own, and nobody here would delete this one
        assertNull(Gates.childBootJar(dir, dir.resolve("agent.jar")));
        assertFalse(Files.exists(dir.resolve("boot.jar")));
    }

    private static List<String> entries(Path jar) throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            List<String> names = new ArrayList<>();
            for (JarEntry e : Collections.list(j.entries())) {
                names.add(e.getName());
            }
            return names;
        }
    }

    @Test
    void shouldReferenceNothingButJavaBaseAndEachOther() throws IOException {
        List<String> all = new ArrayList<>(List.of(Gates.BOOT_CLASSES));
        all.addAll(dev.ringfence.agent.attach.AttachMain.BOOT_CLASSES);
        for (String name : all) {
            byte[] bytes;
            try (var in = Gates.class.getClassLoader().getResourceAsStream(name)) {
                bytes = in.readAllBytes();
            }
            ClassReader r = new ClassReader(bytes);
            TreeSet<String> referenced = new TreeSet<>();
            char[] buf = new char[r.getMaxStringLength()];
            for (int i = 1; i < r.getItemCount(); i++) {
                int offset = r.getItem(i);
                if (offset > 0 && r.readByte(offset - 1) == 7) { // CONSTANT_Class
                    referenced.add(r.readUTF8(offset, buf));
                }
            }
            for (String c : referenced) {
                assertTrue(c.startsWith("java/lang/") || c.startsWith("dev/ringfence/boot/"), name + " references " + c);
            }
        }
    }

    @Test
    void shouldOfferEveryProbeShapeTheInstrumenterEmits() throws NoSuchMethodException {
        for (String name : List.of("enter", "tick", "edge", "caught", "array", "repeat", "bits", "dim", "arrayTotal")) {
            for (var m : dev.ringfence.limiter.Probes.class.getMethods()) {
                if (m.getName().equals(name)) {
                    var bridge = dev.ringfence.boot.BudgetProbes.class.getMethod(name, m.getParameterTypes());
                    assertEquals(m.getReturnType(), bridge.getReturnType(), name);
                }
            }
        }
    }

    @Test
    void shouldCallTheGateWithTheDescriptorTheWeaverEmits() throws NoSuchMethodException {
        var m = dev.ringfence.boot.Gate.class.getMethod(GateWeaver.CHECK, int.class, Object.class, Object.class, int.class);
        assertEquals(GateWeaver.GATE, m.getDeclaringClass().getName().replace('.', '/'));
        var r = dev.ringfence.boot.Gate.class.getMethod(GateWeaver.RESERVE, int.class, Object.class, long.class);
        assertEquals(java.lang.invoke.MethodType.methodType(void.class, int.class, Object.class, long.class)
                .toMethodDescriptorString(), GateWeaver.RESERVE_DESC);
        assertEquals(GateWeaver.GATE, r.getDeclaringClass().getName().replace('.', '/'));
    }
}
