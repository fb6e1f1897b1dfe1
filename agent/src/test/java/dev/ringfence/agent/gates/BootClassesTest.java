package dev.ringfence.agent.gates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;

/** The jar of classes put on the boot class path. */
class BootClassesTest {
    @Test
    void shouldPackExactlyTheGateAndItsHook() throws IOException {
        Path jar = Gates.bootJar();
        try (JarFile j = new JarFile(jar.toFile())) {
            List<String> names = new ArrayList<>();
            for (JarEntry e : Collections.list(j.entries())) {
                names.add(e.getName());
            }
            assertEquals(List.of(Gates.BOOT_CLASSES), names);
        } finally {
            Files.deleteIfExists(jar);
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
