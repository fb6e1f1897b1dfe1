package dev.ringfence.agent.process;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-up cache's bookkeeping on a real directory, with a clock the test moves. */
class StartupCacheTest {
    @TempDir
    Path dir;

    private Instant now = Instant.parse("2026-11-22T12:00:00Z");

    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    private StartupCache cache(long maxBytes) {
        return new StartupCache(dir.resolve("cache"), maxBytes, Duration.ofDays(7), clock);
    }

    /** Makes an entry of the given size the way a training does, its files stamped with the test's clock. */
    private Path make(StartupCache c, String key, int bytes) throws Exception {
        Path tmp = c.begin(key);
        assertNotNull(tmp, "the training of " + key + " was not claimed");
        Files.write(tmp.resolve(StartupCache.ARCHIVE), new byte[bytes]);
        Files.setLastModifiedTime(tmp.resolve(StartupCache.ARCHIVE), FileTime.from(now));
        Files.setLastModifiedTime(tmp, FileTime.from(now));
        assertTrue(c.publish(key, tmp));
        return c.directory().resolve(key);
    }

    private List<String> names(StartupCache c) throws Exception {
        try (Stream<Path> s = Files.list(c.directory())) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void shouldKeyByEveryPartAndTheirBoundaries() {
        String k = StartupCache.key(List.of("25.0.3+9", "Eclipse Adoptium", "v1", "-Xmx256m"));
        assertEquals(32, k.length());
        assertEquals(k, StartupCache.key(List.of("25.0.3+9", "Eclipse Adoptium", "v1", "-Xmx256m")));
        assertNotEquals(k, StartupCache.key(List.of("25.0.3+9", "Eclipse Adoptium", "v2", "-Xmx256m")));
        assertNotEquals(k, StartupCache.key(List.of("25.0.3+9", "Eclipse Adoptium", "v1", "-Xmx512m")));
        assertNotEquals(StartupCache.key(List.of("ab", "c")), StartupCache.key(List.of("a", "bc")));
    }

    @Test
    void shouldKeyAChildByItsJdkAgentJarVersionAndJvmOptions() throws Exception {
        Path jar = Files.write(dir.resolve("agent.jar"), new byte[] {1, 2, 3});
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        WorkerSpec spec = WorkerSpec.of(jar, List.of(dir), "a.Handler", dir);
        List<String> parts = CachedStart.keyParts(spec, java, "0123456789ab");
        assertTrue(parts.contains(System.getProperty("java.runtime.version")), parts.toString());
        assertTrue(parts.contains("0123456789ab"));
        assertTrue(parts.contains("-Xmx" + WorkerSpec.Caps.DEFAULT.heapBytes()), parts.toString());
        String key = StartupCache.key(parts);
        String otherHeap = StartupCache.key(CachedStart.keyParts(spec.withCaps(new WorkerSpec.Caps(512L << 20, 16L << 20,
                64L << 20, 128L << 20, 1L << 20)), java, "0123456789ab"));
        String otherVersion = StartupCache.key(CachedStart.keyParts(spec, java, "ba9876543210"));
        Files.write(jar, new byte[] {1, 2, 3, 4}); // a rebuilt agent jar
        String otherJar = StartupCache.key(CachedStart.keyParts(spec, java, "0123456789ab"));
        assertEquals(4, Stream.of(key, otherHeap, otherVersion, otherJar).distinct().count());
    }

    @Test
    void shouldFindAPublishedEntryAndNothingBeforeIt() throws Exception {
        StartupCache c = cache(1 << 20);
        assertNull(c.lookup("k1"));
        Path tmp = c.begin("k1");
        Files.write(tmp.resolve(StartupCache.ARCHIVE), new byte[10]);
        assertNull(c.lookup("k1"), "an entry under construction is not visible");
        assertTrue(c.publish("k1", tmp));
        assertEquals(c.directory().resolve("k1"), c.lookup("k1"));
        assertEquals(List.of("k1"), names(c), "no temporary directory nor training marker left");
    }

    @Test
    void shouldLetOneTrainingOfAKeyRunAtATime() throws Exception {
        StartupCache c = cache(1 << 20);
        Path first = c.begin("k1");
        assertNotNull(first);
        assertNull(c.begin("k1"), "a second training of the same key while the first runs");
        now = now.plus(StartupCache.STALE_TRAINING).plusSeconds(1);
        Path takeover = c.begin("k1");
        assertNotNull(takeover, "a training marker whose maker died is taken over");
        c.abandon("k1", takeover);
        c.abandon("k1", first);
        assertEquals(List.of(), names(c));
    }

    @Test
    void shouldKeepTheFirstOfTwoPublishesOfTheSameKey() throws Exception {
        StartupCache c = cache(1 << 20);
        Path a = c.begin("k1");
        now = now.plus(StartupCache.STALE_TRAINING).plusSeconds(1); // as if the first one's maker died
        Path b = c.begin("k1");
        Files.write(a.resolve(StartupCache.ARCHIVE), new byte[] {'a'});
        Files.write(b.resolve(StartupCache.ARCHIVE), new byte[] {'b'});
        assertTrue(c.publish("k1", b));
        assertFalse(c.publish("k1", a), "the second rename must not replace the published entry");
        assertArrayEquals(new byte[] {'b'}, Files.readAllBytes(c.lookup("k1").resolve(StartupCache.ARCHIVE)));
        assertEquals(List.of("k1"), names(c));
    }

    @Test
    void shouldPublishOneEntryWhenManyThreadsRaceForAKey() throws Exception {
        StartupCache c = cache(1 << 20);
        int n = 8;
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger claimed = new AtomicInteger();
        AtomicInteger published = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte mark = (byte) i;
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    Path tmp = c.begin("k1");
                    if (tmp == null) {
                        return;
                    }
                    claimed.incrementAndGet();
                    Files.write(tmp.resolve(StartupCache.ARCHIVE), new byte[] {mark});
                    if (c.publish("k1", tmp)) {
                        published.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            t.start();
            threads.add(t);
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(1, claimed.get(), "exactly one thread trains a key");
        assertEquals(1, published.get());
        assertEquals(1, Files.size(c.lookup("k1").resolve(StartupCache.ARCHIVE)));
    }

    @Test
    void shouldEvictTheLeastRecentlyUsedEntriesDownToTheBound() throws Exception {
        StartupCache c = cache(2500);
        make(c, "old", 1000);
        now = now.plusSeconds(60);
        make(c, "middle", 1000);
        now = now.plusSeconds(60);
        assertNotNull(c.lookup("old"), "a use makes 'old' the most recent");
        now = now.plusSeconds(60);
        make(c, "new", 1000); // 3000 bytes > 2500: one must go, the least recently used
        assertEquals(List.of("new", "old"), names(c));
        assertTrue(c.sizeBytes() <= 2500);
    }

    @Test
    void shouldExpireEntriesAndBadMarksAfterTheTtl() throws Exception {
        StartupCache c = cache(1 << 20);
        make(c, "k1", 10);
        c.markBad("k2");
        assertTrue(c.isBad("k2"));
        assertNull(c.begin("k2"), "a bad key is not made again within the TTL");
        now = now.plus(Duration.ofDays(7)).plusSeconds(1);
        assertNull(c.lookup("k1"), "an entry older than the TTL is not used");
        assertFalse(Files.exists(c.directory().resolve("k1")), "and is deleted");
        assertFalse(c.isBad("k2"));
        c.evict();
        assertEquals(List.of(), names(c));
    }

    @Test
    void shouldDeleteABadEntryAndStopItsTraining() throws Exception {
        StartupCache c = cache(1 << 20);
        make(c, "k1", 10);
        c.markBad("k1");
        assertNull(c.lookup("k1"));
        assertNull(c.begin("k1"));
        assertEquals(List.of("k1.bad"), names(c));
    }

    @Test
    void shouldIgnoreAnEntryWithoutItsArchive() throws Exception {
        StartupCache c = cache(1 << 20);
        Path p = make(c, "k1", 10);
        Files.delete(p.resolve(StartupCache.ARCHIVE)); // a half-deleted or tampered entry
        assertNull(c.lookup("k1"));
        c.evict();
        assertEquals(List.of(), names(c));
    }

    @Test
    void shouldNeverReplaceAPlacedBootJar() throws Exception {
        StartupCache c = cache(1 << 20);
        c.create();
        Path boot = c.bootJar("agent1");
        Path first = Files.write(c.directory().resolve("t1"), new byte[] {1});
        c.place(first, boot);
        Path second = Files.write(c.directory().resolve("t2"), new byte[] {2});
        c.place(second, boot);
        assertArrayEquals(new byte[] {1}, Files.readAllBytes(boot), "an archive names the boot jar by size and time");
        assertFalse(Files.exists(first));
        assertFalse(Files.exists(second));
    }

    @Test
    void shouldDefaultToTheUsersCacheDirectory() {
        assertEquals(Path.of("/home/u/.cache/ringfence/startup"), StartupCache.defaultDirectory(Map.of(), "/home/u"));
        assertEquals(Path.of("/x/ringfence/startup"), StartupCache.defaultDirectory(Map.of("XDG_CACHE_HOME", "/x"), "/home/u"));
        assertEquals(Path.of("/home/u/.cache/ringfence/startup"),
                StartupCache.defaultDirectory(Map.of("XDG_CACHE_HOME", "relative"), "/home/u"));
    }

    @Test
    void shouldMakeTheCacheDirectoryOwnerOnly() throws Exception {
        StartupCache c = cache(1 << 20);
        c.create();
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(c.directory())));
        }
    }
}
