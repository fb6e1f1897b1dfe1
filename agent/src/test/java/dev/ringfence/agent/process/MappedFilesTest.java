package dev.ringfence.agent.process;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real mappings of a real file, through whichever path this JDK takes. */
class MappedFilesTest {
    @TempDir
    Path dir;

    @Test
    void shouldHoldTheClassThatAsmAssembles() {
        // the class defined at run time is the constant; this is what keeps it right
        assertArrayEquals(MappedFiles.assemble(), Base64.getDecoder().decode(MappedFiles.ASSEMBLED));
    }

    @Test
    void shouldMapThroughJavaLangForeignFromJdk22() {
        assertEquals(Runtime.version().feature() >= 22, MappedFiles.foreign());
    }

    @Test
    void shouldShareWritesBetweenTwoMappingsAndWithTheFile() throws IOException {
        Path file = dir.resolve("m");
        Files.write(file, new byte[8192]);
        try (FileChannel a = open(file); FileChannel b = open(file)) {
            MappedFiles.Mapped one = MappedFiles.map(a, 8192);
            MappedFiles.Mapped two = MappedFiles.map(b, 8192).slice(4096, 4096);
            one.putLongVolatile(4096 + 8, 0x1122334455667788L);
            two.putInt(100, 42);

            assertEquals(0x1122334455667788L, two.getLongVolatile(8));
            assertEquals(42, one.getInt(4096 + 100));
            one.putByte(0, (byte) 7);
        }
        // the mappings outlive their channels, and what they wrote is the file's
        assertEquals(7, Files.readAllBytes(file)[0]);
    }

    @Test
    void shouldMapAFileToReadThroughAChannelOpenedToRead() throws IOException {
        Path file = dir.resolve("r");
        byte[] content = new byte[10_000];
        content[9_999] = 42;
        Files.write(file, content);
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
            MappedFiles.Mapped m = MappedFiles.mapToRead(c, c.size());
            assertEquals(10_000, m.capacity());
            assertEquals(42, m.getByte(9_999));
        }
    }

    @Test
    void shouldRefuseASliceOutsideTheMapping() throws IOException {
        Path file = dir.resolve("s");
        Files.write(file, new byte[4096]);
        try (FileChannel c = open(file)) {
            MappedFiles.Mapped m = MappedFiles.map(c, 4096);
            assertThrows(IndexOutOfBoundsException.class, () -> m.slice(4000, 100));
            assertThrows(IndexOutOfBoundsException.class, () -> m.slice(-1, 10));
            assertEquals(96, m.slice(4000, 96).capacity());
        }
    }

    private static FileChannel open(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }
}
