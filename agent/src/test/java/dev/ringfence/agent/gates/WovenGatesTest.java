package dev.ringfence.agent.gates;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The classes a server wove, as its children read them: used only for exactly the bytes they were woven from. */
class WovenGatesTest {
    @TempDir
    Path dir;

    private static byte[] weave(String owner, byte[] original) {
        GateWeaver.Woven w = GateWeaver.weave(owner, original);
        assertNotNull(w, owner + " is a table class");
        return w.bytes();
    }

    @Test
    void shouldGiveAChildTheServersBytesForTheSameOriginalOnly() throws Exception {
        byte[] runtime = JdkClasses.read("java/lang/Runtime");
        byte[] woven = weave("java/lang/Runtime", runtime);
        WovenGates recorded = WovenGates.recording();
        recorded.record("java/lang/Runtime", runtime, woven);
        Path file = dir.resolve("woven-gates.bin");
        recorded.write(file);

        WovenGates read = WovenGates.read(file);

        assertNotNull(read, "same JDK, same agent build");
        assertArrayEquals(woven, read.wovenFor("java/lang/Runtime", runtime));
        byte[] other = runtime.clone();
        other[other.length - 1] ^= 1;
        assertNull(read.wovenFor("java/lang/Runtime", other), "another original is woven here, not taken");
        assertNull(read.wovenFor("java/lang/System", JdkClasses.read("java/lang/System")), "not recorded");
        List<Sites.Site> sites = read.sites();
        for (int i = 0; i < sites.size(); i++) {
            assertEquals(i, sites.get(i).id());
            assertEquals(Sites.get(i).owner() + Sites.get(i).method() + Sites.get(i).desc(),
                    sites.get(i).owner() + sites.get(i).method() + sites.get(i).desc(), "numbered as the server numbered it");
            assertEquals(Sites.get(i).spec(), sites.get(i).spec());
            int row = GateTable.rows().indexOf(Sites.get(i).spec());
            if (row >= 0) {
                assertSame(GateTable.rows().get(row), sites.get(i).spec(), "a rule of the table is read as its row");
            }
        }
        assertTrue(sites.stream().anyMatch(s -> s.owner().equals("java/lang/Runtime")));
    }

    @Test
    void shouldAddTheImagesClassFilesForClassesAChildLoadsLater() {
        WovenGates recorded = WovenGates.recording();
        recorded.addImageClassFiles();

        byte[] builder = JdkClasses.read("java/lang/ProcessBuilder");
        assertNotNull(recorded.wovenFor("java/lang/ProcessBuilder", builder));
        assertTrue(recorded.size() >= GateTable.owners().size() / 2, "most table classes exist on every JDK");
    }

    @Test
    void shouldKeepBothOriginalsOfAClass() {
        byte[] runtime = JdkClasses.read("java/lang/Runtime");
        byte[] rebuilt = runtime.clone();
        rebuilt[rebuilt.length - 1] ^= 1; // stands for the JVM's rebuilt class file: other bytes, same class
        WovenGates recorded = WovenGates.recording();
        recorded.record("java/lang/Runtime", runtime, new byte[] {1});
        recorded.record("java/lang/Runtime", rebuilt, new byte[] {2});
        recorded.record("java/lang/Runtime", runtime, new byte[] {3});

        assertArrayEquals(new byte[] {3}, recorded.wovenFor("java/lang/Runtime", runtime));
        assertArrayEquals(new byte[] {2}, recorded.wovenFor("java/lang/Runtime", rebuilt));
        assertEquals(2, recorded.size());
    }

    @Test
    void shouldIgnoreAFileOfAnotherJdkOrAgentBuild() throws Exception {
        Path file = dir.resolve("other.bin");
        try (OutputStream o = Files.newOutputStream(file); DataOutputStream out = new DataOutputStream(o)) {
            out.writeInt(WovenGates.MAGIC);
            WovenGates.writeString(out, "17.0.1+12|/opt/another-jdk|file:/old/ringfence-agent.jar");
            out.writeInt(0);
            out.writeInt(0);
        }
        assertNull(WovenGates.read(file));
    }

    /** Writes a file holding {@code java.lang.Runtime} woven from its image's class file. */
    private Path writtenRuntime(String name, byte[] runtime) throws IOException {
        WovenGates recorded = WovenGates.recording();
        recorded.record("java/lang/Runtime", runtime, weave("java/lang/Runtime", runtime));
        Path file = dir.resolve(name);
        recorded.write(file);
        return file;
    }

    @Test
    void shouldRecordWhatAChildWasHandedAndWhatItWoveItself() throws Exception {
        byte[] runtime = JdkClasses.read("java/lang/Runtime");
        WovenGates read = WovenGates.read(writtenRuntime("host.bin", runtime));

        WovenGates child = WovenGates.recordingAfter(read);
        byte[] rebuilt = runtime.clone();
        rebuilt[rebuilt.length - 1] ^= 1; // stands for a class the JVM rebuilt from an archive
        child.record("java/lang/Runtime", rebuilt, new byte[] {7});
        Path entry = dir.resolve("entry.bin");
        child.write(entry);

        WovenGates again = WovenGates.read(entry);
        assertArrayEquals(read.wovenFor("java/lang/Runtime", runtime), again.wovenFor("java/lang/Runtime", runtime));
        assertArrayEquals(new byte[] {7}, again.wovenFor("java/lang/Runtime", rebuilt));
        assertEquals(1, read.size(), "recording after a set does not change it");
    }

    @Test
    void shouldRefuseAFileCutShort() throws Exception {
        byte[] whole = Files.readAllBytes(writtenRuntime("whole.bin", JdkClasses.read("java/lang/Runtime")));
        for (int cut : new int[] {whole.length - 1, whole.length / 2, 6}) {
            Path part = Files.write(dir.resolve("cut-" + cut + ".bin"), java.util.Arrays.copyOf(whole, cut));
            assertThrows(IOException.class, () -> WovenGates.read(part), "cut at " + cut + " of " + whole.length);
        }
    }

    @Test
    void shouldRefuseAFileThatIsNotOne() throws Exception {
        Path file = Files.write(dir.resolve("junk.bin"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        assertThrows(IOException.class, () -> WovenGates.read(file));
    }

    @Test
    void shouldTellADirectoryOthersCouldChangeFromAPrivateOne() throws Exception {
        Path mine = Files.createDirectories(dir.resolve("workers").resolve("route"));
        Files.setPosixFilePermissions(mine.getParent(), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(mine, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        assertNull(WovenGates.othersCanWrite(mine));

        Files.setPosixFilePermissions(mine.getParent(), java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        assertNotNull(WovenGates.othersCanWrite(mine), "anyone may swap the route's directory out of its parent");
        Files.setPosixFilePermissions(mine.getParent(), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(mine, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwx---"));
        assertNotNull(WovenGates.othersCanWrite(mine), "the group may write the file");
    }
}
