package dev.ringfence.loader;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one-read jar reader: it reads what {@link ZipFile} reads, or gives up. */
class JarEntriesTest {
    @TempDir
    Path tmp;

    /** What ringfence read with ZipFile before the fast path: first copy of each name, no directories. */
    private static SortedMap<String, byte[]> viaZipFile(Path jar) throws IOException {
        SortedMap<String, byte[]> out = new TreeMap<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            Enumeration<? extends ZipEntry> it = zip.entries();
            while (it.hasMoreElements()) {
                ZipEntry e = it.nextElement();
                if (e.isDirectory() || out.containsKey(e.getName())) {
                    continue;
                }
                try (InputStream in = zip.getInputStream(e)) {
                    out.put(e.getName(), in.readAllBytes());
                }
            }
        }
        return out;
    }

    private static void assertSameEntries(Map<String, byte[]> expected, Map<String, byte[]> actual) {
        assertNotNull(actual);
        assertEquals(expected.keySet(), actual.keySet());
        for (Map.Entry<String, byte[]> e : expected.entrySet()) {
            assertArrayEquals(e.getValue(), actual.get(e.getKey()), e.getKey());
        }
    }

    /** A jar of every kind of entry the fast path reads: deflated, stored, empty, directories, UTF-8 names, a comment. */
    private static byte[] mixedJar() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.setComment("built for a test");
            zip.putNextEntry(new ZipEntry("fix/"));
            zip.closeEntry();
            for (Map.Entry<String, byte[]> e : new TreeMap<>(Fixtures.handlers()).entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
            stored(zip, "fix/stored.txt", "kept as is".getBytes(UTF_8));
            stored(zip, "fix/empty-stored.txt", new byte[0]);
            zip.putNextEntry(new ZipEntry("fix/empty-deflated.txt"));
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("fix/caf\u00e9/\u65e5\u672c.txt"));
            zip.write("non-ASCII name".getBytes(UTF_8));
            zip.closeEntry();
            byte[] big = new byte[300_000]; // several deflate blocks
            new Random(7).nextBytes(big);
            Arrays.fill(big, 100_000, 200_000, (byte) 'x');
            zip.putNextEntry(new ZipEntry("fix/big.bin"));
            zip.write(big);
            zip.closeEntry();
        }
        return bytes.toByteArray();
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(tmp.resolve(name), bytes);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Replaces every occurrence of one byte string with another of the same length. */
    private static byte[] patch(byte[] in, String from, String to) {
        byte[] f = from.getBytes(UTF_8);
        byte[] t = to.getBytes(UTF_8);
        assertEquals(f.length, t.length);
        byte[] out = in.clone();
        int n = 0;
        for (int i = 0; i + f.length <= out.length; i++) {
            if (Arrays.equals(out, i, i + f.length, f, 0, f.length)) {
                System.arraycopy(t, 0, out, i, t.length);
                n++;
            }
        }
        assertTrue(n > 0, "nothing to patch: " + from);
        return out;
    }

    @Test
    void shouldReadWhatZipFileReads() throws Exception {
        Path jar = write("mixed.jar", mixedJar());
        SortedMap<String, byte[]> fast = JarEntries.read(jar.toFile(), Long.MAX_VALUE);
        assertSameEntries(viaZipFile(jar), fast);
        assertTrue(fast.containsKey("fix/caf\u00e9/\u65e5\u672c.txt"));
        assertEquals(0, fast.get("fix/empty-deflated.txt").length);
        assertTrue(!fast.containsKey("fix/"), "directories are left out");
    }

    @Test
    void shouldReadAJarWithBytesBeforeIt() throws Exception {
        byte[] launcher = "#!/bin/sh\nexec java -jar \"$0\" \"$@\"\n".getBytes(UTF_8);
        Path jar = write("launcher.jar", concat(launcher, mixedJar()));
        assertSameEntries(viaZipFile(jar), JarEntries.read(jar.toFile(), Long.MAX_VALUE));
    }

    @Test
    void shouldKeepTheFirstOfTwoEntriesOfOneName() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (String n : List.of("fix/a.txt", "fix/b.txt")) {
                zip.putNextEntry(new ZipEntry(n));
                zip.write(("content of " + n).getBytes(UTF_8));
                zip.closeEntry();
            }
        }
        // ZipOutputStream refuses duplicate names: rename b to a in both headers
        Path jar = write("dup.jar", patch(bytes.toByteArray(), "fix/b.txt", "fix/a.txt"));
        SortedMap<String, byte[]> fast = JarEntries.read(jar.toFile(), Long.MAX_VALUE);
        assertSameEntries(viaZipFile(jar), fast);
        assertEquals("content of fix/a.txt", new String(fast.get("fix/a.txt"), UTF_8));
    }

    @Test
    void shouldLeaveToZipFileWhatItDoesNotHandle() throws Exception {
        byte[] plain = mixedJar();
        assertNull(JarEntries.parse("not a zip file, not even close".getBytes(UTF_8), Long.MAX_VALUE));
        assertNull(JarEntries.parse(Arrays.copyOf(plain, plain.length - 30), Long.MAX_VALUE), "truncated");
        assertNull(JarEntries.parse(concat(plain, new byte[] {1, 2, 3}), Long.MAX_VALUE),
                "bytes after the end record");
        assertNull(JarEntries.parse(plain, 1000), "declared sizes past the bound");
        assertNotNull(JarEntries.parse(plain, Long.MAX_VALUE));
    }

    @Test
    void shouldLeaveAZip64JarToZipFile() throws Exception {
        // ZipOutputStream writes ZIP64 end records from 65535 entries on
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.setLevel(0);
            for (int i = 0; i < 0xFFFF; i++) {
                String name = Integer.toString(i, 36);
                zip.putNextEntry(new ZipEntry(name));
                zip.write(name.getBytes(UTF_8));
                zip.closeEntry();
            }
        }
        byte[] raw = bytes.toByteArray();
        assertNull(JarEntries.parse(raw, Long.MAX_VALUE));
        Path jar = write("zip64.jar", raw);
        ClasspathContent c = ClasspathContent.read(List.of(jar), Long.MAX_VALUE);
        assertEquals("zzz", new String(c.first("zzz"), UTF_8));
        assertEquals("0", new String(c.first("0"), UTF_8));
    }

    @Test
    void shouldLeaveAnEntryThatDoesNotInflateToItsSizeToZipFile() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("fix/a.txt"));
            zip.write("twelve bytes".getBytes(UTF_8));
            zip.closeEntry();
        }
        byte[] raw = bytes.toByteArray();
        int cen = lastIndexOf(raw, new byte[] {'P', 'K', 1, 2});
        for (int length : new int[] {11, 13, 0}) {
            byte[] lying = raw.clone();
            lying[cen + 24] = (byte) length; // the uncompressed size the central directory states
            assertNull(JarEntries.parse(lying, Long.MAX_VALUE), "stated " + length);
        }
        byte[] huge = raw.clone();
        huge[cen + 24] = (byte) 0xf0; // states 0x7ffffff0 bytes: the reader must not take that on trust
        huge[cen + 25] = (byte) 0xff;
        huge[cen + 26] = (byte) 0xff;
        huge[cen + 27] = (byte) 0x7f;
        assertNull(JarEntries.parse(huge, Long.MAX_VALUE));
        byte[] method = raw.clone();
        method[cen + 10] = 12; // bzip2
        assertNull(JarEntries.parse(method, Long.MAX_VALUE));
        Path jar = write("bzip2.jar", method);
        VersionException e = assertThrows(VersionException.class,
                () -> ClasspathContent.read(List.of(jar), Long.MAX_VALUE));
        assertEquals(VersionException.Reason.UNREADABLE, e.reason(), "ZipFile's verdict, as before");
    }

    private static int lastIndexOf(byte[] b, byte[] what) {
        for (int i = b.length - what.length; i >= 0; i--) {
            if (Arrays.equals(b, i, i + what.length, what, 0, what.length)) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }

    @Test
    void shouldGiveTheSameIdWhicheverWayAJarIsRead() throws Exception {
        byte[] plain = mixedJar();
        Path fast = write("fast.jar", plain);
        Path slow = write("slow.jar", concat(plain, new byte[] {0, 0, 0})); // ZipFile tolerates trailing bytes
        assertNotNull(JarEntries.read(fast.toFile(), Long.MAX_VALUE));
        assertNull(JarEntries.read(slow.toFile(), Long.MAX_VALUE));
        Path dir = Fixtures.directory(tmp.resolve("classes"), viaZipFile(fast));
        String id = ClasspathContent.read(List.of(fast), Long.MAX_VALUE).id();
        ClasspathContent viaSlowPath = ClasspathContent.read(List.of(slow), Long.MAX_VALUE);
        for (Map.Entry<String, byte[]> e : viaZipFile(fast).entrySet()) {
            assertArrayEquals(e.getValue(), viaSlowPath.first(e.getKey()), e.getKey());
        }

        assertEquals(id, viaSlowPath.id());
        assertEquals(id, ClasspathContent.read(List.of(dir), Long.MAX_VALUE).id());
    }

    @Test
    void shouldReadACorruptJarAsZipFileDoesOrNotAtAll() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("fix/"));
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("fix/Hello.class"));
            zip.write(Fixtures.handlers().get("fix/Hello.class"));
            zip.closeEntry();
            stored(zip, "fix/s.txt", "stored".getBytes(UTF_8));
        }
        byte[] plain = bytes.toByteArray();
        Path jar = tmp.resolve("fuzz.jar");
        Random random = new Random(20261122);
        int read = 0;
        int opened = 0;
        for (int i = 0; i < 1500; i++) {
            byte[] b = plain.clone();
            int flips = 1 + random.nextInt(3);
            for (int f = 0; f < flips; f++) {
                b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
            }
            SortedMap<String, byte[]> fast;
            try {
                fast = JarEntries.parse(b, 1 << 20);
            } catch (RuntimeException e) {
                throw new AssertionError("mutation " + i + " made the reader throw", e);
            }
            if (fast == null) {
                continue;
            }
            read++;
            Files.write(jar, b);
            try {
                new ZipFile(jar.toFile()).close();
            } catch (ZipException e) {
                continue; // ZipFile checks some header fields the fast path has no need to
            }
            opened++;
            SortedMap<String, byte[]> slow;
            try {
                slow = viaZipFile(jar);
            } catch (IOException e) {
                throw new AssertionError("mutation " + i + ": the fast path read what ZipFile cannot: " + e, e);
            }
            assertSameEntries(slow, fast);
        }
        assertTrue(read > 150, "many mutations leave the jar readable: " + read);
        assertTrue(opened > 150, "and ZipFile opens them: " + opened);
    }
}
