package dev.ringfence.loader;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Request;
import dev.ringfence.limiter.Policy;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache's record of the content id of jar files read before: a second read of the same files
 * takes the id from it and leaves class files compressed until they are asked for.
 */
class ContentIdRecordTest {
    @TempDir
    Path tmp;

    private InstrumentedClassCache cache;
    private Path jar;
    private long classFiles;

    @BeforeEach
    void setUp() {
        cache = new InstrumentedClassCache(tmp.resolve("cache"), 1 << 24);
        jar = Fixtures.jar(tmp.resolve("h.jar"), Fixtures.handlers());
        classFiles = Fixtures.handlers().keySet().stream().filter(n -> n.endsWith(".class")).count();
    }

    private ClasspathContent read(Path... classpath) throws VersionException {
        return ClasspathContent.read(List.of(classpath), LoadOptions.DEFAULT_MAX_CLASSPATH_BYTES, cache);
    }

    @Test
    void shouldTakeTheIdOfFilesReadBeforeFromTheRecord() throws Exception {
        ClasspathContent cold = read(jar);
        assertFalse(cold.idRecorded());
        assertEquals(0, cold.packedEntries(), "a first read inflates everything, to hash it");
        assertEquals(1, cache.contentIdStores());

        ClasspathContent warm = read(jar);
        assertTrue(warm.idRecorded());
        assertEquals(cold.id(), warm.id());
        assertEquals(ClasspathContent.read(List.of(jar), Long.MAX_VALUE).id(), warm.id(), "the id a read without cache computes");
        assertEquals(classFiles, warm.packedEntries(), "class files stay compressed");
        assertEquals(cold.classNames(), warm.classNames());
        assertEquals(1, cache.contentIdHits());
        assertEquals(1, cache.contentIdStores(), "nothing new to record");
    }

    @Test
    void shouldInflateAClassFileWhenItIsAskedFor() throws Exception {
        read(jar);
        ClasspathContent warm = read(jar);
        assertArrayEquals("bonjour".getBytes(UTF_8), warm.first("fix/greeting.txt"), "resources are inflated up front");
        assertTrue(warm.has("fix/Hello.class"));
        assertEquals(1, warm.count("fix/Hello.class"));
        assertEquals(classFiles, warm.packedEntries(), "asking whether a class file is there inflates nothing");
        assertArrayEquals(Fixtures.handlers().get("fix/Hello.class"), warm.first("fix/Hello.class"));
        assertEquals(classFiles - 1, warm.packedEntries());
        for (Map.Entry<String, byte[]> e : Fixtures.handlers().entrySet()) {
            assertArrayEquals(e.getValue(), warm.first(e.getKey()), e.getKey());
        }
        assertEquals(0, warm.packedEntries());
    }

    @Test
    void shouldServeAVersionLoadedWithARecordedId() throws Exception {
        LoadOptions options = LoadOptions.of(Policy.DENY_ALL).withCache(cache).withMode(InstrumentMode.AT_LOAD);
        String id;
        try (HandlerVersion cold = HandlerVersion.load(List.of(jar), options)) {
            id = cold.id();
        }
        try (HandlerVersion warm = HandlerVersion.load(List.of(jar), options)) {
            assertEquals(id, warm.id());
            assertEquals(warm.classCount(), warm.bundleHits());
            assertEquals("hello", warm.newHandler("fix.Hello").handle(Request.builder("r").build(),
                    new Fixtures.TestContext()).bodyAsString());
            VersionClassLoader loader = warm.classLoader();
            try (InputStream in = loader.getResourceAsStream("fix/Hello.class")) {
                assertArrayEquals(Fixtures.handlers().get("fix/Hello.class"), in.readAllBytes(),
                        "a class file read as a resource is the original, not the instrumented form");
            }
            URL u = loader.getResource("fix/Spin.class");
            try (InputStream in = u.openStream()) {
                assertArrayEquals(Fixtures.handlers().get("fix/Spin.class"), in.readAllBytes());
            }
            assertEquals(1, Collections.list(loader.getResources("fix/greeting.txt")).size());
        }
        assertEquals(1, cache.contentIdHits());
    }

    @Test
    void shouldInstrumentAClassTheBundleLacksFromItsCompressedBytes() throws Exception {
        LoadOptions lazy = LoadOptions.of(Policy.DENY_ALL).withCache(cache);
        try (HandlerVersion v = HandlerVersion.load(List.of(jar), lazy)) {
            v.newHandler("fix.Hello"); // the bundle holds only this class
        }
        InstrumentedClassCache fresh = new InstrumentedClassCache(tmp.resolve("cache"), 1 << 24);
        try (HandlerVersion v = HandlerVersion.load(List.of(jar), lazy.withCache(fresh))) {
            assertEquals(1, fresh.contentIdHits());
            v.newHandler("fix.Hello");
            v.loadClass("fix.Spin");
            assertEquals(1, v.bundleHits());
            assertEquals(1, v.instrumentedClasses(), "fix.Spin, inflated from memory and instrumented");
        }
    }

    @Test
    void shouldGiveTheSameIdWithAndWithoutARecord() throws Exception {
        Map<String, byte[]> reversed = new TreeMap<>(Collections.reverseOrder());
        reversed.putAll(Fixtures.handlers());
        Path other = Fixtures.jar(tmp.resolve("elsewhere/other.jar"), reversed);
        Path dir = Fixtures.directory(tmp.resolve("classes"), Fixtures.handlers());
        String id = read(jar).id();
        assertEquals(id, read(jar).id());
        assertEquals(id, read(other).id(), "other bytes, same content: a record of its own, the same id");
        assertEquals(id, read(other).id());
        assertEquals(2, cache.contentIdHits());
        assertEquals(2, cache.contentIdStores());
        assertEquals(id, read(dir).id());
        assertEquals(id, read(dir).id());
        assertEquals(2, cache.contentIdStores(), "a class directory is read and hashed each time");
        Path extra = Fixtures.jar(tmp.resolve("extra.jar"), Map.of("x.txt", "x".getBytes(UTF_8)));
        ClasspathContent both = read(jar, extra);
        assertNotEquals(id, both.id());
        assertEquals(both.id(), read(jar, extra).id());
        assertTrue(read(jar, extra).idRecorded());
        assertNotEquals(both.id(), read(extra, jar).id(), "classpath order is part of the content");
        assertNotEquals(both.id(), read(extra, jar).id());
        assertEquals(ClasspathContent.read(List.of(jar, extra), Long.MAX_VALUE).id(), both.id());
    }

    @Test
    void shouldKeyTheRecordByTheFilesBytes() throws Exception {
        String id = read(jar).id();
        Map<String, byte[]> changed = new TreeMap<>(Fixtures.handlers());
        changed.put("fix/greeting.txt", "salut".getBytes(UTF_8));
        Fixtures.jar(jar, changed); // the same path, other content
        ClasspathContent now = read(jar);
        assertFalse(now.idRecorded());
        assertNotEquals(id, now.id());
        assertArrayEquals("salut".getBytes(UTF_8), now.first("fix/greeting.txt"));
    }

    @Test
    void shouldIgnoreACorruptOrMisplacedRecord() throws Exception {
        String id = read(jar).id();
        Path record;
        try (var s = Files.walk(tmp.resolve("cache"))) {
            record = s.filter(p -> p.getFileName().toString().endsWith(".id")).findFirst().orElseThrow();
        }
        byte[] good = Files.readAllBytes(record);

        byte[] flipped = good.clone();
        flipped[flipped.length - 1] ^= 0x01; // another id, but the checksum no longer matches
        Files.write(record, flipped);
        ClasspathContent c = read(jar);
        assertFalse(c.idRecorded());
        assertEquals(id, c.id());
        assertEquals(1, cache.corruptContentIds());
        assertArrayEquals(good, Files.readAllBytes(record), "the record is written again");

        Files.write(record, Arrays.copyOf(good, 40));
        assertFalse(read(jar).idRecorded());
        assertEquals(2, cache.corruptContentIds());

        // a valid record of other files, moved under this key
        Path other = Fixtures.jar(tmp.resolve("o.jar"), Fixtures.handlersTagged("x"));
        read(other);
        Path otherRecord;
        try (var s = Files.walk(tmp.resolve("cache"))) {
            otherRecord = s.filter(p -> p.getFileName().toString().endsWith(".id") && !p.equals(record))
                    .findFirst().orElseThrow();
        }
        Files.copy(otherRecord, record, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        c = read(jar);
        assertFalse(c.idRecorded());
        assertEquals(id, c.id());
        assertEquals(3, cache.corruptContentIds());
        assertTrue(read(jar).idRecorded());
    }

    @Test
    void shouldRecordNothingForAJarReadWithZipFile() throws Exception {
        byte[] b = Files.readAllBytes(jar);
        Path padded = Files.write(tmp.resolve("padded.jar"), Arrays.copyOf(b, b.length + 2));
        String id = read(padded).id();
        assertEquals(id, read(padded).id());
        assertEquals(0, cache.contentIdStores());
        assertEquals(read(jar).id(), id);
    }

    @Test
    void shouldOverlayCompressedClassFilesOfAMultiReleaseJar() throws Exception {
        Map<String, byte[]> entries = new TreeMap<>();
        entries.put("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nMulti-Release: true\r\n\r\n".getBytes(UTF_8));
        entries.put("fix/Which.class", "base".getBytes(UTF_8));
        entries.put("META-INF/versions/9/fix/Which.class", "nine".getBytes(UTF_8));
        entries.put("META-INF/versions/17/fix/Which.class", "seventeen".getBytes(UTF_8));
        entries.put("META-INF/versions/999/fix/Which.class", "future".getBytes(UTF_8));
        Path mr = Fixtures.jar(tmp.resolve("mr.jar"), entries);
        ClasspathContent cold = read(mr);
        ClasspathContent warm = read(mr);
        assertTrue(warm.idRecorded());
        assertEquals(cold.id(), warm.id());
        assertEquals(List.of("fix.Which"), warm.classNames());
        assertEquals("seventeen", new String(warm.first("fix/Which.class"), UTF_8));
        assertEquals("future", new String(warm.first("META-INF/versions/999/fix/Which.class"), UTF_8));
    }

    @Test
    void shouldReadWithZipFileAJarWhoseEntriesDoNotInflateAsStated() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(bytes)) {
            zip.putNextEntry(new java.util.zip.ZipEntry("fix/a.txt"));
            zip.write("twelve bytes".getBytes(UTF_8));
            zip.closeEntry();
        }
        byte[] raw = bytes.toByteArray();
        for (int i = raw.length - 4; i >= 0; i--) {
            if (raw[i] == 'P' && raw[i + 1] == 'K' && raw[i + 2] == 1 && raw[i + 3] == 2) {
                raw[i + 24] = 13; // the central directory now states 13 bytes; ZipFile reads the 12 there are
                break;
            }
        }
        Path lying = Files.write(tmp.resolve("lying.jar"), raw);
        ClasspathContent c = read(lying);
        assertArrayEquals("twelve bytes".getBytes(UTF_8), c.first("fix/a.txt"));
        assertEquals(ClasspathContent.read(List.of(lying), Long.MAX_VALUE).id(), c.id());
        assertFalse(read(lying).idRecorded(), "no record for a jar the one-read path cannot read");
        assertEquals(0, cache.contentIdStores());
    }

    @Test
    void shouldNeverDefineAClassFromBytesThatDoNotInflateWhateverARecordSays() throws Exception {
        byte[] hello = Fixtures.handlers().get("fix/Hello.class");
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(bytes)) {
            zip.putNextEntry(new java.util.zip.ZipEntry("fix/Hello.class"));
            zip.write(hello);
            zip.closeEntry();
        }
        byte[] raw = bytes.toByteArray();
        for (int i = raw.length - 4; i >= 0; i--) {
            if (raw[i] == 'P' && raw[i + 1] == 'K' && raw[i + 2] == 1 && raw[i + 3] == 2) {
                raw[i + 24]++; // states one byte more than the class file has
                break;
            }
        }
        Path lying = Files.write(tmp.resolve("lying.jar"), raw);
        String id = ClasspathContent.read(List.of(lying), Long.MAX_VALUE).id();
        // a record nobody wrote for these bytes, as someone with write access to the cache could
        cache.storeContentId(ClasspathContent.filesKey(List.of(raw)), id);
        try (HandlerVersion v = HandlerVersion.load(List.of(lying), LoadOptions.of(Policy.DENY_ALL).withCache(cache))) {
            assertEquals(id, v.id());
            VersionException e = assertThrows(VersionException.class, () -> v.loadClass("fix.Hello"));
            assertEquals(VersionException.Reason.INSTRUMENTATION_FAILED, e.reason());
            assertTrue(e.getMessage().contains("fix.Hello"), e.getMessage());
        }
        VersionException e = assertThrows(VersionException.class, () -> HandlerVersion.load(List.of(lying),
                LoadOptions.of(Policy.DENY_ALL).withCache(cache).withMode(InstrumentMode.AT_LOAD)));
        assertEquals(VersionException.Reason.UNREADABLE, e.reason());
        try (HandlerVersion v = HandlerVersion.load(List.of(lying), LoadOptions.of(Policy.DENY_ALL))) {
            assertEquals("hello", v.newHandler("fix.Hello").handle(Request.builder("r").build(),
                    new Fixtures.TestContext()).bodyAsString(), "without the record, ZipFile reads the jar as ever");
        }
    }

    @Test
    void shouldStillHoldTheBoundWithARecordedId() throws Exception {
        read(jar);
        long total = Fixtures.handlers().values().stream().mapToLong(x -> x.length).sum();
        assertTrue(ClasspathContent.read(List.of(jar), total, cache).idRecorded());
        VersionException e = assertThrows(VersionException.class,
                () -> ClasspathContent.read(List.of(jar), total - 1, cache));
        assertEquals(VersionException.Reason.TOO_LARGE, e.reason());
    }
}
