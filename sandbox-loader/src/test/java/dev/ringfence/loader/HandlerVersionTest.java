package dev.ringfence.loader;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.limiter.Policy;
import dev.ringfence.limiter.Probes;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HandlerVersionTest {
    @TempDir
    Path tmp;

    private HandlerVersion load(Path... classpath) throws VersionException {
        return HandlerVersion.load(List.of(classpath), LoadOptions.of(Policy.DENY_ALL));
    }

    @Test
    void shouldGiveTheSameIdToTheSameContent() throws Exception {
        Path a = Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlers());
        Map<String, byte[]> reversed = new TreeMap<>(Collections.reverseOrder());
        reversed.putAll(Fixtures.handlers());
        Path b = Fixtures.jar(tmp.resolve("elsewhere/b.jar"), reversed);
        Path dir = Fixtures.directory(tmp.resolve("classes"), Fixtures.handlers());
        try (HandlerVersion va = load(a); HandlerVersion vb = load(b); HandlerVersion vd = load(dir)) {
            assertEquals(va.id(), vb.id());
            assertEquals(va.id(), vd.id());
            assertEquals(64, va.id().length());
            assertEquals(va.id().substring(0, 12), va.shortId());
        }
    }

    @Test
    void shouldGiveDifferentIdsToDifferentContent() throws Exception {
        Path a = Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlersTagged("1"));
        Path b = Fixtures.jar(tmp.resolve("b.jar"), Fixtures.handlersTagged("2"));
        Path extra = Fixtures.jar(tmp.resolve("extra.jar"), Map.of("x.txt", "x".getBytes(UTF_8)));
        try (HandlerVersion va = load(a); HandlerVersion vb = load(b); HandlerVersion vab = load(a, extra);
                HandlerVersion vba = load(extra, a)) {
            assertNotEquals(va.id(), vb.id());
            assertNotEquals(va.id(), vab.id());
            assertNotEquals(vab.id(), vba.id(), "classpath order is part of the content");
        }
    }

    @Test
    void shouldDescribeTheVersion() throws Exception {
        Path a = Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlers());
        try (HandlerVersion v = load(a)) {
            long classes = Fixtures.handlers().keySet().stream().filter(n -> n.endsWith(".class")).count();
            assertEquals(classes, v.classCount());
            assertEquals(List.of(a.toAbsolutePath().normalize()), v.classpath());
            assertEquals(v.id(), v.info().id());
            assertTrue(v.loadNanos() >= 0);
            assertEquals(0, v.definedClasses());
            assertTrue(v.classLoader().isRegisteredAsParallelCapable());
        }
    }

    @Test
    void shouldRefuseAMissingPath() {
        VersionException e = assertThrows(VersionException.class, () -> load(tmp.resolve("nope.jar")));
        assertEquals(VersionException.Reason.MISSING_PATH, e.reason());
        assertTrue(e.getMessage().contains("nope.jar"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void shouldRefuseACorruptJar() throws Exception {
        Path bad = Files.write(tmp.resolve("bad.jar"), "this is not a zip file at all".getBytes(UTF_8));
        VersionException e = assertThrows(VersionException.class, () -> load(bad));
        assertEquals(VersionException.Reason.UNREADABLE, e.reason());
        assertTrue(e.getMessage().contains("bad.jar"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void shouldRefuseAClasspathOverItsBound() throws Exception {
        Path a = Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlers());
        VersionException e = assertThrows(VersionException.class, () -> HandlerVersion.load(List.of(a),
                LoadOptions.of(Policy.DENY_ALL).withMaxClasspathBytes(100)));
        assertEquals(VersionException.Reason.TOO_LARGE, e.reason());
    }

    @Test
    void shouldHoldTheBoundExactlyWhicheverWayAJarIsRead() throws Exception {
        Path plain = Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlers());
        byte[] padded = Files.readAllBytes(plain);
        // bytes after the end record: ZipFile reads this jar, the one-read path leaves it to ZipFile
        Path viaZipFile = Files.write(tmp.resolve("padded.jar"), java.util.Arrays.copyOf(padded, padded.length + 2));
        long total = Fixtures.handlers().values().stream().mapToLong(b -> b.length).sum();
        for (Path jar : List.of(plain, viaZipFile)) {
            try (HandlerVersion v = HandlerVersion.load(List.of(jar),
                    LoadOptions.of(Policy.DENY_ALL).withMaxClasspathBytes(total))) {
                assertEquals("hello", v.newHandler("fix.Hello").handle(Request.builder("r").build(),
                        new Fixtures.TestContext()).bodyAsString(), jar.toString());
            }
            VersionException e = assertThrows(VersionException.class, () -> HandlerVersion.load(List.of(jar),
                    LoadOptions.of(Policy.DENY_ALL).withMaxClasspathBytes(total - 1)));
            assertEquals(VersionException.Reason.TOO_LARGE, e.reason(), jar.toString());
            try (HandlerVersion v = HandlerVersion.load(List.of(jar),
                    LoadOptions.of(Policy.DENY_ALL).withMaxClasspathBytes(Long.MAX_VALUE))) {
                assertEquals("hello", v.newHandler("fix.Hello").handle(Request.builder("r").build(),
                        new Fixtures.TestContext()).bodyAsString(), "no bound at all: " + jar);
            }
        }
    }

    @Test
    void shouldReportAClassNotFound() throws Exception {
        try (HandlerVersion v = load(Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlers()))) {
            VersionException e = assertThrows(VersionException.class, () -> v.newHandler("fix.Missing"));
            assertEquals(VersionException.Reason.CLASS_NOT_FOUND, e.reason());
            assertTrue(e.getMessage().contains("fix.Missing"), e.getMessage());
        }
    }

    @Test
    void shouldReportAClassThatIsNotAHandler() throws Exception {
        try (HandlerVersion v = load(Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlers()))) {
            VersionException e = assertThrows(VersionException.class, () -> v.newHandler("fix.NotAHandler"));
            assertEquals(VersionException.Reason.NOT_A_HANDLER, e.reason());
            assertEquals(VersionException.Reason.NOT_A_HANDLER,
                    assertThrows(VersionException.class, () -> v.newHandler("fix.Greeter")).reason());
        }
    }

    @Test
    void shouldReportAHandlerWithoutAPublicNoArgConstructor() throws Exception {
        try (HandlerVersion v = load(Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlers()))) {
            VersionException e = assertThrows(VersionException.class, () -> v.newHandler("fix.NeedsArgs"));
            assertEquals(VersionException.Reason.NO_PUBLIC_CONSTRUCTOR, e.reason());
        }
    }

    @Test
    void shouldReportAConstructorThatThrows() throws Exception {
        try (HandlerVersion v = load(Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlers()))) {
            VersionException e = assertThrows(VersionException.class, () -> v.newHandler("fix.FailingConstructor"));
            assertEquals(VersionException.Reason.CONSTRUCTOR_FAILED, e.reason());
            assertTrue(e.getCause() instanceof IllegalStateException);
        }
    }

    @Test
    void shouldCreateAHandlerThatSharesTheHostApi() throws Exception {
        try (HandlerVersion v = load(Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlers()))) {
            Handler h = v.newHandler("fix.Hello");
            assertSame(v.classLoader(), h.getClass().getClassLoader());
            assertEquals("hello", h.handle(Request.builder("r").build(), new Fixtures.TestContext()).bodyAsString());
            assertSame(Handler.class, Class.forName(Handler.class.getName(), false, v.classLoader()));
            assertSame(Probes.class, Class.forName(Probes.class.getName(), false, v.classLoader()));
            assertSame(String.class, v.loadClass("java.lang.String"));
            assertSame(java.sql.Driver.class, v.loadClass("java.sql.Driver"), "platform modules are visible");
        }
    }

    @Test
    void shouldInstrumentTheClassesItDefines() throws Exception {
        try (HandlerVersion v = load(Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlers()))) {
            v.loadClass("fix.Spin");
            assertEquals(1, v.instrumentedClasses());
            assertEquals(1, v.definedClasses());
        }
    }

    @Test
    void shouldHideHostClassesAndRingfenceInternals() throws Exception {
        try (HandlerVersion v = load(Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlers()))) {
            VersionException e = assertThrows(VersionException.class, () -> v.loadClass(HandlerVersionTest.class.getName()));
            assertEquals(VersionException.Reason.CLASS_NOT_FOUND, e.reason());
            assertThrows(ClassNotFoundException.class, () -> Class.forName("dev.ringfence.limiter.Meter", false, v.classLoader()));
            assertThrows(ClassNotFoundException.class, () -> Class.forName(HandlerVersion.class.getName(), false, v.classLoader()));
            assertThrows(ClassNotFoundException.class, () -> Class.forName(Test.class.getName(), false, v.classLoader()));
        }
    }

    @Test
    void shouldNotLetAJarShadowRingfenceClasses() throws Exception {
        Map<String, byte[]> entries = new TreeMap<>(Fixtures.handlers());
        entries.putAll(Fixtures.shadows());
        try (HandlerVersion v = load(Fixtures.jar(tmp.resolve("shadow.jar"), entries))) {
            assertEquals(List.of("dev.ringfence.api.Handler", "dev.ringfence.limiter.Meter"), v.reservedClasses());
            assertSame(Handler.class, v.loadClass("dev.ringfence.api.Handler"));
            assertThrows(ClassNotFoundException.class, () -> Class.forName("dev.ringfence.limiter.Meter", false, v.classLoader()));
            assertTrue(v.newHandler("fix.Hello") instanceof Handler);
        }
    }

    @Test
    void shouldLetAHandlerUseTheSamplesPackage() throws Exception {
        try (HandlerVersion v = load(Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlers()))) {
            Handler h = v.newHandler("dev.ringfence.samples.SampleHello");
            assertSame(v.classLoader(), h.getClass().getClassLoader());
            assertTrue(v.reservedClasses().isEmpty());
        }
    }

    @Test
    void shouldServeResourcesFromMemory() throws Exception {
        Path a = Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlers());
        Path b = Fixtures.jar(tmp.resolve("b.jar"), Map.of("fix/greeting.txt", "hallo".getBytes(UTF_8),
                "dir with space/a#b.txt", "odd".getBytes(UTF_8)));
        try (HandlerVersion v = load(a, b)) {
            Files.delete(a);
            Files.delete(b);
            ClassLoader l = v.classLoader();
            URL u = l.getResource("fix/greeting.txt");
            assertEquals(MemoryResources.PROTOCOL, u.getProtocol());
            try (InputStream in = u.openStream()) {
                assertEquals("bonjour", new String(in.readAllBytes(), UTF_8));
            }
            try (InputStream in = l.getResourceAsStream("fix/greeting.txt")) {
                assertEquals("bonjour", new String(in.readAllBytes(), UTF_8));
            }
            List<URL> all = Collections.list(l.getResources("fix/greeting.txt"));
            assertEquals(2, all.size());
            try (InputStream in = all.get(1).openStream()) {
                assertEquals("hallo", new String(in.readAllBytes(), UTF_8));
            }
            try (InputStream in = l.getResource("dir with space/a#b.txt").openStream()) {
                assertEquals("odd", new String(in.readAllBytes(), UTF_8));
            }
            assertArrayEquals(Fixtures.handlers().get("fix/Hello.class"), l.getResourceAsStream("fix/Hello.class").readAllBytes(),
                    "class files read as resources are the originals");
            assertNull(l.getResource("fix/absent.txt"));
            assertNotNull(l.getResource("java/lang/Object.class"), "JDK resources come from the parent");
            assertTrue(v.newHandler("fix.Hello") instanceof Handler, "classes load with the files gone");
        }
    }

    @Test
    void shouldStopLoadingClassesOnceClosed() throws Exception {
        HandlerVersion v = load(Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlers()));
        Class<?> hello = v.loadClass("fix.Hello");
        URL u = v.classLoader().getResource("fix/greeting.txt");
        v.close();
        assertTrue(v.isClosed());
        assertSame(hello, v.loadClass("fix.Hello"), "defined classes stay usable");
        assertEquals(VersionException.Reason.CLOSED, assertThrows(VersionException.class, () -> v.loadClass("fix.Spin")).reason());
        assertThrows(java.io.IOException.class, u::openStream);
    }

    @Test
    void shouldServeTheHighestApplicableVersionOfAMultiReleaseJar() throws Exception {
        Map<String, byte[]> entries = new TreeMap<>();
        entries.put("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nMulti-Release: true\r\n\r\n".getBytes(UTF_8));
        entries.put("fix/which.txt", "base".getBytes(UTF_8));
        entries.put("META-INF/versions/9/fix/which.txt", "nine".getBytes(UTF_8));
        entries.put("META-INF/versions/17/fix/which.txt", "seventeen".getBytes(UTF_8));
        entries.put("META-INF/versions/999/fix/which.txt", "future".getBytes(UTF_8));
        try (HandlerVersion v = load(Fixtures.jar(tmp.resolve("mr.jar"), entries))) {
            try (InputStream in = v.classLoader().getResourceAsStream("fix/which.txt")) {
                assertEquals("seventeen", new String(in.readAllBytes(), UTF_8));
            }
        }
    }
}
