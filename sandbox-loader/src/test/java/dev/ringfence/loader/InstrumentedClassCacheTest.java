package dev.ringfence.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import dev.ringfence.limiter.Instrumenter;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.Policy;
import dev.ringfence.limiter.RunResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstrumentedClassCacheTest {
    @TempDir
    Path tmp;

    private static byte[] hello() {
        return Fixtures.handlers().get("fix/Hello.class");
    }

    private static byte[] classBytes(String entry) {
        return new Instrumenter().instrument(Fixtures.handlers().get(entry)).bytes();
    }

    @Test
    void shouldKeyByClassBytesAndPolicy() {
        Properties p = new Properties();
        p.setProperty("policy.env", "HOME");
        Policy other = Policy.fromProperties(p);
        String k = InstrumentedClassCache.key(hello(), Policy.DENY_ALL);
        assertEquals(k, InstrumentedClassCache.key(hello().clone(), Policy.DENY_ALL));
        assertNotEquals(k, InstrumentedClassCache.key(hello(), other));
        assertNotEquals(k, InstrumentedClassCache.key(Fixtures.handlers().get("fix/Spin.class"), Policy.DENY_ALL));
        assertNotEquals(k, InstrumentedClassCache.key(hello(), Policy.DENY_ALL, dev.ringfence.limiter.Metering.GUARD));
        assertTrue(k.matches("[0-9a-f]{64}"));
    }

    @Test
    void shouldStoreAndFindAnEntryUnderItsTwoDigitDirectory() {
        InstrumentedClassCache cache = new InstrumentedClassCache(tmp.resolve("c"), 1 << 20);
        String key = InstrumentedClassCache.key(hello(), Policy.DENY_ALL);
        assertNull(cache.lookup(key));
        byte[] instrumented = classBytes("fix/Hello.class");
        cache.store(key, instrumented);
        assertTrue(Files.isRegularFile(tmp.resolve("c").resolve(key.substring(0, 2)).resolve(key + ".class")));
        assertArrayEquals(instrumented, cache.lookup(key));
        assertEquals(1, cache.hits());
        assertEquals(1, cache.misses());
        assertEquals(1, cache.stores());
    }

    @Test
    void shouldTreatATruncatedEntryAsAMissAndOverwriteIt() throws Exception {
        InstrumentedClassCache cache = new InstrumentedClassCache(tmp.resolve("c"), 1 << 20);
        String key = InstrumentedClassCache.key(hello(), Policy.DENY_ALL);
        byte[] instrumented = classBytes("fix/Hello.class");
        cache.store(key, instrumented);
        Path file = cache.pathOf(key);
        byte[] whole = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(whole, whole.length / 2));
        assertNull(cache.lookup(key));
        assertEquals(1, cache.corruptEntries());
        cache.store(key, instrumented);
        assertArrayEquals(instrumented, cache.lookup(key));
    }

    @Test
    void shouldTreatACorruptEntryAsAMiss() throws Exception {
        InstrumentedClassCache cache = new InstrumentedClassCache(tmp.resolve("c"), 1 << 20);
        String key = InstrumentedClassCache.key(hello(), Policy.DENY_ALL);
        cache.store(key, classBytes("fix/Hello.class"));
        Path file = cache.pathOf(key);
        byte[] b = Files.readAllBytes(file);
        b[b.length - 3] ^= 0x5a;
        Files.write(file, b);
        assertNull(cache.lookup(key));
        Files.write(file, new byte[0]);
        assertNull(cache.lookup(key));
        assertEquals(2, cache.corruptEntries());
    }

    @Test
    void shouldLeaveNoTemporaryFilesBehind() throws Exception {
        InstrumentedClassCache cache = new InstrumentedClassCache(tmp.resolve("c"), 1 << 20);
        for (String entry : List.of("fix/Hello.class", "fix/Spin.class", "fix/Resources.class")) {
            cache.store(InstrumentedClassCache.key(Fixtures.handlers().get(entry), Policy.DENY_ALL), classBytes(entry));
        }
        try (Stream<Path> s = Files.walk(tmp.resolve("c"))) {
            assertTrue(s.filter(Files::isRegularFile).allMatch(f -> f.getFileName().toString().endsWith(".class")));
        }
    }

    @Test
    void shouldEvictTheLeastRecentlyUsedEntriesPastItsBound() throws Exception {
        byte[] instrumented = classBytes("fix/Hello.class");
        long entry = instrumented.length + 36;
        InstrumentedClassCache cache = new InstrumentedClassCache(tmp.resolve("c"), entry * 3);
        String[] keys = new String[4];
        for (int i = 0; i < keys.length; i++) {
            Properties p = new Properties();
            p.setProperty("policy.env", "VAR" + i);
            keys[i] = InstrumentedClassCache.key(hello(), Policy.fromProperties(p));
        }
        for (int i = 0; i < 3; i++) {
            cache.store(keys[i], instrumented);
            Files.setLastModifiedTime(cache.pathOf(keys[i]), FileTime.fromMillis(1_000_000L * (i + 1)));
        }
        assertEquals(0, cache.evictions());
        // a hit makes the oldest entry the most recently used
        assertArrayEquals(instrumented, cache.lookup(keys[0]));
        cache.store(keys[3], instrumented);
        assertEquals(2, cache.evictions(), "down to 90% of the bound: two entries of four go");
        assertFalse(Files.exists(cache.pathOf(keys[1])), "the least recently used entry goes first");
        assertFalse(Files.exists(cache.pathOf(keys[2])));
        assertTrue(Files.exists(cache.pathOf(keys[0])), "an entry used just now stays");
        assertTrue(Files.exists(cache.pathOf(keys[3])), "the entry just stored stays");
    }

    @Test
    void shouldRejectAKeyThatIsNotAHash() {
        InstrumentedClassCache cache = new InstrumentedClassCache(tmp.resolve("c"), 1 << 20);
        assertThrows(IllegalArgumentException.class, () -> cache.lookup("../../etc/passwd"));
    }

    @Test
    void shouldDefaultToTheXdgCacheDirectory() {
        assertEquals(Path.of("/x/cache/ringfence/classes"),
                InstrumentedClassCache.defaultDirectory(Map.of("XDG_CACHE_HOME", "/x/cache"), "/home/u"));
        assertEquals(Path.of("/home/u/.cache/ringfence/classes"),
                InstrumentedClassCache.defaultDirectory(Map.of(), "/home/u"));
        assertEquals(Path.of("/home/u/.cache/ringfence/classes"),
                InstrumentedClassCache.defaultDirectory(Map.of("XDG_CACHE_HOME", "relative"), "/home/u"));
    }

    @Test
    void shouldSkipInstrumentationWhenTheCacheIsWarm() throws Exception {
        InstrumentedClassCache cache = new InstrumentedClassCache(tmp.resolve("c"), 1 << 24);
        LoadOptions options = LoadOptions.of(Policy.DENY_ALL).withCache(cache);
        Path jar = Fixtures.jar(tmp.resolve("h.jar"), Fixtures.handlers());
        try (HandlerVersion cold = HandlerVersion.load(List.of(jar), options)) {
            cold.newHandler("fix.Hello");
            assertEquals(1, cold.cacheMisses());
            assertEquals(1, cold.instrumentedClasses());
        }
        try (HandlerVersion warm = HandlerVersion.load(List.of(jar), options)) {
            warm.newHandler("fix.Hello");
            assertEquals(1, warm.cacheHits());
            assertEquals(0, warm.cacheMisses());
            assertEquals(0, warm.instrumentedClasses());
        }
    }

    @Test
    void shouldInstrumentEveryClassAtLoadInEagerMode() throws Exception {
        InstrumentedClassCache cache = new InstrumentedClassCache(tmp.resolve("c"), 1 << 24);
        LoadOptions options = LoadOptions.of(Policy.DENY_ALL).withCache(cache).withMode(InstrumentMode.AT_LOAD);
        Path jar = Fixtures.jar(tmp.resolve("h.jar"), Fixtures.handlers());
        try (HandlerVersion cold = HandlerVersion.load(List.of(jar), options)) {
            assertEquals(cold.classCount(), cold.instrumentedClasses());
            assertEquals(0, cold.definedClasses());
            cold.newHandler("fix.Hello");
            assertEquals(cold.classCount(), cold.instrumentedClasses(), "loading a class instruments nothing more");
        }
        try (HandlerVersion warm = HandlerVersion.load(List.of(jar), options)) {
            assertEquals(warm.classCount(), warm.cacheHits());
            assertEquals(0, warm.instrumentedClasses());
        }
    }

    @Test
    void shouldRefuseAtLoadAClassThatCannotBeInstrumentedInEagerMode() throws Exception {
        Map<String, byte[]> entries = new java.util.TreeMap<>(Fixtures.handlers());
        entries.put("fix/Broken.class", new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE, 0, 0, 0, 61, 9});
        Path jar = Fixtures.jar(tmp.resolve("broken.jar"), entries);
        VersionException e = assertThrows(VersionException.class, () -> HandlerVersion.load(List.of(jar),
                LoadOptions.of(Policy.DENY_ALL).withMode(InstrumentMode.AT_LOAD)));
        assertEquals(VersionException.Reason.INSTRUMENTATION_FAILED, e.reason());
        assertTrue(e.getMessage().contains("fix.Broken"), e.getMessage());
        try (HandlerVersion lazy = HandlerVersion.load(List.of(jar), LoadOptions.of(Policy.DENY_ALL))) {
            assertEquals(VersionException.Reason.INSTRUMENTATION_FAILED,
                    assertThrows(VersionException.class, () -> lazy.loadClass("fix.Broken")).reason());
        }
    }

    @Test
    void shouldReadTheBundleOnTheSecondLoadOfAVersion() throws Exception {
        InstrumentedClassCache cache = new InstrumentedClassCache(tmp.resolve("c"), 1 << 24);
        LoadOptions options = LoadOptions.of(Policy.DENY_ALL).withCache(cache).withMode(InstrumentMode.AT_LOAD);
        Path jar = Fixtures.jar(tmp.resolve("h.jar"), Fixtures.handlers());
        try (HandlerVersion cold = HandlerVersion.load(List.of(jar), options)) {
            assertEquals(0, cold.bundleHits());
            assertEquals(1, cache.bundleStores(), "an eager load writes its bundle when done");
            assertTrue(Files.isRegularFile(cache.bundlePathOf(InstrumentedClassCache.bundleKey(cold.id(), Policy.DENY_ALL))));
        }
        assertEquals(1, cache.bundleStores(), "closing a version whose bundle is up to date writes nothing");
        long perClassLookups = cache.hits() + cache.misses();
        try (HandlerVersion warm = HandlerVersion.load(List.of(jar), options)) {
            assertEquals(warm.classCount(), warm.bundleHits());
            assertEquals(warm.classCount(), warm.cacheHits());
            assertEquals(0, warm.instrumentedClasses());
            assertEquals(1, cache.bundleHits());
            assertEquals(perClassLookups, cache.hits() + cache.misses(), "no per-class lookup on a bundle hit");
            warm.newHandler("fix.Hello");
        }
        assertEquals(1, cache.bundleStores());
    }

    @Test
    void shouldDefineClassesFromTheBundleOnlyWhenTheyAreLoaded() throws Exception {
        InstrumentedClassCache cache = new InstrumentedClassCache(tmp.resolve("c"), 1 << 24);
        LoadOptions options = LoadOptions.of(Policy.DENY_ALL).withCache(cache).withMode(InstrumentMode.AT_LOAD);
        Path jar = Fixtures.jar(tmp.resolve("h.jar"), Fixtures.handlers());
        HandlerVersion.load(List.of(jar), options).close();
        MeteredExecutor executor = new MeteredExecutor("bundle-test", 10_000_000L, 0);
        try (HandlerVersion warm = HandlerVersion.load(List.of(jar), options)) {
            assertEquals(warm.classCount(), warm.bundleHits());
            assertEquals(0, warm.definedClasses(), "a warm eager load defines nothing up front");
            RunResult<Response> hello = executor.run(Fixtures.generous(), Policy.DENY_ALL, warm.classLoader(),
                    () -> warm.newHandler("fix.Hello").handle(Request.builder("r").build(), new Fixtures.TestContext()));
            assertEquals(Outcome.OK, hello.outcome(), hello.message());
            assertEquals("hello", hello.value().bodyAsString());
            assertTrue(hello.fuel() > 0, "the class defined from the bundle is the instrumented one");
            assertEquals(1, warm.definedClasses(), "the first call defines only what it uses");
            RunResult<Response> spin = executor.run(new Budgets(30_000_000_000L, 0, 2_000_000L, 0), Policy.DENY_ALL,
                    warm.classLoader(),
                    () -> warm.newHandler("fix.Spin").handle(Request.builder("r").build(), new Fixtures.TestContext()));
            assertEquals(Outcome.FUEL_EXCEEDED, spin.outcome(), spin.message());
            assertEquals(2, warm.definedClasses());
            assertEquals(warm.classCount(), warm.bundleHits(), "each class counted once, at load");
            assertEquals(warm.classCount(), warm.cacheHits());
            assertEquals(0, warm.instrumentedClasses());
        }
        assertEquals(1, cache.bundleStores(), "nothing new to write");
    }

    @Test
    void shouldPrepareAtLoadWhatAPartialBundleLacks() throws Exception {
        InstrumentedClassCache cache = new InstrumentedClassCache(tmp.resolve("c"), 1 << 24);
        LoadOptions lazy = LoadOptions.of(Policy.DENY_ALL).withCache(cache);
        Path jar = Fixtures.jar(tmp.resolve("h.jar"), Fixtures.handlers());
        try (HandlerVersion v = HandlerVersion.load(List.of(jar), lazy)) {
            v.newHandler("fix.Hello");
        }
        assertEquals(1, cache.bundleStores(), "a bundle of one class");
        LoadOptions eager = lazy.withMode(InstrumentMode.AT_LOAD);
        try (HandlerVersion v = HandlerVersion.load(List.of(jar), eager)) {
            assertEquals(1, v.bundleHits());
            assertEquals(v.classCount() - 1, v.instrumentedClasses(), "the rest is instrumented at load");
            assertEquals(2, cache.bundleStores(), "and the bundle completed");
            v.newHandler("fix.Hello");
            v.loadClass("fix.Spin");
            assertEquals(2, v.definedClasses());
            assertEquals(1, v.bundleHits());
            assertEquals(v.classCount() - 1, v.instrumentedClasses(), "loading instruments nothing more");
        }
        try (HandlerVersion v = HandlerVersion.load(List.of(jar), eager)) {
            assertEquals(v.classCount(), v.bundleHits());
            assertEquals(0, v.instrumentedClasses());
        }
    }

    @Test
    void shouldWriteTheBundleOfAnOnDemandVersionWhenItCloses() throws Exception {
        InstrumentedClassCache cache = new InstrumentedClassCache(tmp.resolve("c"), 1 << 24);
        LoadOptions options = LoadOptions.of(Policy.DENY_ALL).withCache(cache);
        Path jar = Fixtures.jar(tmp.resolve("h.jar"), Fixtures.handlers());
        try (HandlerVersion cold = HandlerVersion.load(List.of(jar), options)) {
            cold.newHandler("fix.Hello");
            assertEquals(0, cache.bundleStores());
        }
        assertEquals(1, cache.bundleStores());
        try (HandlerVersion warm = HandlerVersion.load(List.of(jar), options)) {
            warm.newHandler("fix.Hello");
            assertEquals(1, warm.bundleHits());
            warm.loadClass("fix.Spin");
            assertEquals(1, warm.bundleHits(), "a class the bundle lacks comes from elsewhere");
        }
        assertEquals(2, cache.bundleStores(), "the bundle is rewritten with the new class");
        try (HandlerVersion third = HandlerVersion.load(List.of(jar), options)) {
            third.newHandler("fix.Hello");
            third.loadClass("fix.Spin");
            assertEquals(2, third.bundleHits());
        }
        assertEquals(2, cache.bundleStores());
    }

    @Test
    void shouldIgnoreAndRewriteACorruptBundle() throws Exception {
        InstrumentedClassCache cache = new InstrumentedClassCache(tmp.resolve("c"), 1 << 24);
        LoadOptions options = LoadOptions.of(Policy.DENY_ALL).withCache(cache).withMode(InstrumentMode.AT_LOAD);
        Path jar = Fixtures.jar(tmp.resolve("h.jar"), Fixtures.handlers());
        Path bundle;
        try (HandlerVersion cold = HandlerVersion.load(List.of(jar), options)) {
            bundle = cache.bundlePathOf(InstrumentedClassCache.bundleKey(cold.id(), Policy.DENY_ALL));
        }
        byte[] b = Files.readAllBytes(bundle);
        b[b.length / 2] ^= 0x5a;
        Files.write(bundle, b);
        try (HandlerVersion v = HandlerVersion.load(List.of(jar), options)) {
            assertEquals(0, v.bundleHits());
            assertEquals(v.classCount(), v.cacheHits(), "the per-class entries still serve");
            assertEquals(0, v.instrumentedClasses());
        }
        assertEquals(1, cache.corruptBundles());
        assertEquals(2, cache.bundleStores(), "the corrupt bundle is rewritten");
        Files.write(bundle, Arrays.copyOf(Files.readAllBytes(bundle), 20));
        try (HandlerVersion v = HandlerVersion.load(List.of(jar), options)) {
            assertEquals(0, v.bundleHits());
        }
        assertEquals(2, cache.corruptBundles());
        try (HandlerVersion v = HandlerVersion.load(List.of(jar), options)) {
            assertEquals(v.classCount(), v.bundleHits());
        }
    }

    @Test
    void shouldNotUseTheBundleOfAnotherPolicy() throws Exception {
        InstrumentedClassCache cache = new InstrumentedClassCache(tmp.resolve("c"), 1 << 24);
        Properties p = new Properties();
        p.setProperty("policy.env", "HOME");
        Policy other = Policy.fromProperties(p);
        LoadOptions options = LoadOptions.of(Policy.DENY_ALL).withCache(cache).withMode(InstrumentMode.AT_LOAD);
        Path jar = Fixtures.jar(tmp.resolve("h.jar"), Fixtures.handlers());
        String id;
        try (HandlerVersion cold = HandlerVersion.load(List.of(jar), options)) {
            id = cold.id();
        }
        assertNotEquals(InstrumentedClassCache.bundleKey(id, Policy.DENY_ALL), InstrumentedClassCache.bundleKey(id, other));
        try (HandlerVersion v = HandlerVersion.load(List.of(jar), options.withPolicy(other))) {
            assertEquals(0, v.bundleHits());
            assertEquals(0, v.cacheHits());
            assertEquals(v.classCount(), v.instrumentedClasses());
        }
        assertEquals(0, cache.bundleHits());
        assertEquals(2, cache.bundleStores());
    }

    @Test
    void shouldEvictBundlesLikeEntries() throws Exception {
        byte[] instrumented = classBytes("fix/Hello.class");
        InstrumentedClassCache cache = new InstrumentedClassCache(tmp.resolve("c"), instrumented.length * 12L);
        String[] keys = new String[6];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = InstrumentedClassCache.bundleKey(Integer.toString(i), Policy.DENY_ALL);
            cache.storeBundle(keys[i], Map.of("fix.Hello", instrumented, "fix.Hello2", instrumented));
            Files.setLastModifiedTime(cache.bundlePathOf(keys[i]), FileTime.fromMillis(1_000_000L * (i + 1)));
        }
        assertTrue(cache.evictions() > 0);
        assertFalse(Files.exists(cache.bundlePathOf(keys[0])), "the least recently used bundle goes first");
        assertNotNull(cache.lookupBundle(keys[5]));
        assertArrayEquals(instrumented, cache.lookupBundle(keys[5]).get("fix.Hello2"));
    }

    @Test
    void shouldCreateItsDirectoriesOwnerOnly() throws Exception {
        Path dir = tmp.resolve("private").resolve("c");
        InstrumentedClassCache cache = new InstrumentedClassCache(dir, 1 << 20);
        String key = InstrumentedClassCache.key(hello(), Policy.DENY_ALL);
        cache.store(key, classBytes("fix/Hello.class"));
        assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
        for (Path d : List.of(dir, cache.pathOf(key).getParent())) {
            assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(d), d.toString());
        }
    }
}
