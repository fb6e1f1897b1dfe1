package dev.ringfence.agent.process;

import dev.ringfence.loader.InstrumentedClassCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The on-disk store of the process tier's start-up cache: one entry per (JDK, agent jar, handler
 * version, handler class, child JVM options), each a directory holding the class-data archive a
 * child maps at start ({@link #ARCHIVE}); beside them, one jar of boot classes per agent jar
 * ({@link #bootJar}), which the archives name by path and so must stay where it was made. How an
 * entry is made and used is {@link StartupArchive}'s business; this class only keeps them.
 *
 * <p>Assumptions and guarantees:
 * <ul>
 * <li>An entry becomes visible whole or not at all: it is built in a temporary directory of the
 *   cache's own ({@link #begin}) and renamed into place ({@link #publish}); when two hosts or two
 *   routes make the same entry at once, the first rename wins and the other's work is dropped.</li>
 * <li>At most one training per key runs at a time across processes sharing the directory: a
 *   {@code KEY.training} marker made with create-new claims it; a marker older than
 *   {@link #STALE_TRAINING} (its maker died) is taken over.</li>
 * <li>Entries live {@code ttl} since they were made; a lookup of an older one deletes it. The entries'
 *   total size stays under {@code maxBytes}: after each publish the least recently used entries
 *   (their directory's modification time, set at each use) are deleted until the rest fit.</li>
 * <li>An entry found bad ({@link #markBad}) is deleted and a {@code KEY.bad} marker stops it being
 *   made again until the marker is {@code ttl} old: a JVM that cannot use it once will not next time.</li>
 * <li>The directory is created owner-only: a class-data archive is trusted by the JVM that maps it,
 *   so nobody else may write one there.</li>
 * <li>Thread-safe; no method throws on an I/O failure but {@link #begin} (the caller falls back to
 *   a plain start); failures are counted ({@link #ioFailures()}).</li>
 * </ul>
 */
public final class StartupCache {
    /** The archive file inside an entry. */
    public static final String ARCHIVE = "archive";
    /** 512 MiB: an archive takes 4 to 20 MiB. */
    public static final long DEFAULT_MAX_BYTES = 512L << 20;
    /** A week. */
    public static final Duration DEFAULT_TTL = Duration.ofDays(7);
    /** How long a training marker holds before another process may take the training over. */
    static final Duration STALE_TRAINING = Duration.ofMinutes(10);

    private static final String TEMP = ".tmp-";
    private static final AtomicLong TEMPS = new AtomicLong();

    private final Path dir;
    private final long maxBytes;
    private final Duration ttl;
    private final Clock clock;
    private final AtomicLong ioFailures = new AtomicLong();

    /**
     * @param dir the cache directory, created when the first entry is made
     * @param maxBytes the bound on all entries' bytes
     * @param ttl how long an entry lives after it was made
     */
    public StartupCache(Path dir, long maxBytes, Duration ttl) {
        this(dir, maxBytes, ttl, Clock.systemUTC());
    }

    StartupCache(Path dir, long maxBytes, Duration ttl, Clock clock) {
        if (maxBytes <= 0 || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("a start-up cache needs maxBytes > 0 and ttl > 0");
        }
        this.dir = dir.toAbsolutePath().normalize();
        this.maxBytes = maxBytes;
        this.ttl = ttl;
        this.clock = clock;
    }

    /**
     * The default directory: {@code $XDG_CACHE_HOME/ringfence/startup} when that variable holds an
     * absolute path, else {@code ~/.cache/ringfence/startup} (beside the instrumented-class cache).
     *
     * @return the directory
     */
    public static Path defaultDirectory() {
        return defaultDirectory(System.getenv(), System.getProperty("user.home"));
    }

    static Path defaultDirectory(Map<String, String> env, String userHome) {
        String xdg = env.get("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute() ? Path.of(xdg) : Path.of(userHome, ".cache");
        return base.resolve("ringfence").resolve("startup");
    }

    /** @return the cache at {@link #defaultDirectory()} with the default bound and TTL */
    public static StartupCache atDefaultLocation() {
        return new StartupCache(defaultDirectory(), DEFAULT_MAX_BYTES, DEFAULT_TTL);
    }

    /** @return the cache directory */
    public Path directory() {
        return dir;
    }

    /** @return the bound on all entries' bytes */
    public long maxBytes() {
        return maxBytes;
    }

    /** @return how long an entry lives */
    public Duration ttl() {
        return ttl;
    }

    /** @return I/O failures so far (an entry not read, not written or not deleted) */
    public long ioFailures() {
        return ioFailures.get();
    }

    /**
     * An entry's key: a SHA-256 over everything a class-data archive must match to be used.
     *
     * @param parts the JDK's identity, the agent jar's, the version id, the handler class, the JVM options
     * @return 32 lower-case hex digits
     */
    public static String key(List<String> parts) {
        MessageDigest d;
        try {
            d = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256", e);
        }
        d.update("ringfence-startup-v1".getBytes(StandardCharsets.UTF_8));
        for (String p : parts) {
            byte[] b = p.getBytes(StandardCharsets.UTF_8);
            d.update((byte) (b.length >>> 24));
            d.update((byte) (b.length >>> 16));
            d.update((byte) (b.length >>> 8));
            d.update((byte) b.length);
            d.update(b);
        }
        return HexFormat.of().formatHex(d.digest(), 0, 16);
    }

    /**
     * The entry of a key when it is complete, younger than the TTL and not marked bad; its use is
     * recorded (for LRU). An expired entry is deleted.
     *
     * @param key the key
     * @return the entry's directory, or null
     */
    public Path lookup(String key) {
        Path entry = dir.resolve(key);
        try {
            if (!Files.isRegularFile(entry.resolve(ARCHIVE))) {
                return null;
            }
            if (expired(Files.getLastModifiedTime(entry.resolve(ARCHIVE)))) {
                delete(entry);
                return null;
            }
            Files.setLastModifiedTime(entry, FileTime.from(clock.instant()));
            return entry;
        } catch (NoSuchFileException e) {
            return null; // evicted meanwhile
        } catch (IOException e) {
            ioFailures.incrementAndGet();
            return null;
        }
    }

    /** @return whether a key was marked bad within the TTL */
    public boolean isBad(String key) {
        Path marker = dir.resolve(key + ".bad");
        try {
            return Files.exists(marker) && !expired(Files.getLastModifiedTime(marker));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Claims the making of a key's entry and opens a temporary directory for it.
     *
     * @param key the key
     * @return the temporary directory to build the entry in, or null when the entry exists, is
     *     marked bad, or another training of it runs
     * @throws UncheckedIOException when the cache directory cannot be written
     */
    public Path begin(String key) {
        try {
            InstrumentedClassCache.createPrivateDirectories(dir);
            if (isBad(key) || Files.isDirectory(dir.resolve(key))) {
                return null;
            }
            Path marker = dir.resolve(key + ".training");
            try {
                Files.createFile(marker);
                Files.setLastModifiedTime(marker, FileTime.from(clock.instant()));
            } catch (FileAlreadyExistsException e) {
                if (!olderThan(Files.getLastModifiedTime(marker), STALE_TRAINING)) {
                    return null;
                }
                Files.setLastModifiedTime(marker, FileTime.from(clock.instant())); // its maker died: take it over
            }
            if (Files.isDirectory(dir.resolve(key))) {
                deleteFile(marker); // published between the look above and the claim
                return null;
            }
            Path tmp = dir.resolve(key + TEMP + ProcessHandle.current().pid() + "-" + TEMPS.incrementAndGet());
            Files.createDirectory(tmp);
            return tmp;
        } catch (IOException e) {
            ioFailures.incrementAndGet();
            throw new UncheckedIOException("cannot write the start-up cache " + dir, e);
        }
    }

    /**
     * Renames a finished entry into place (atomically; when another made it first, this one is
     * dropped), releases the training claim and evicts down to the size bound.
     *
     * @param key the key
     * @param tmp the directory {@link #begin} gave, with {@link #ARCHIVE} in it
     * @return whether this entry is now the key's
     */
    public boolean publish(String key, Path tmp) {
        boolean published = false;
        try {
            Files.move(tmp, dir.resolve(key), StandardCopyOption.ATOMIC_MOVE);
            published = true;
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
            // another made it first, or the file system cannot swap a directory in one step
        } catch (IOException e) {
            ioFailures.incrementAndGet();
        } finally {
            if (!published) {
                delete(tmp);
            }
            deleteFile(dir.resolve(key + ".training"));
        }
        evict();
        return published;
    }

    /**
     * Where the jar of boot classes of an agent jar goes (a cached child's
     * {@code -Xbootclasspath/a:}). It is written once ({@link #place}) and never replaced nor
     * touched: an archive records its size and modification time.
     *
     * @param agentKey a key of the agent jar's identity
     * @return the path
     */
    public Path bootJar(String agentKey) {
        return dir.resolve("boot-" + agentKey + ".jar");
    }

    /**
     * Moves a file written in the cache directory to its name unless a file has that name already.
     *
     * @param tmp the written file
     * @param target its name
     * @throws UncheckedIOException when it can be neither moved nor found in place
     */
    public void place(Path tmp, Path target) {
        try {
            // a hard link fails when the name exists, where a rename would replace it
            Files.createLink(target, tmp);
        } catch (FileAlreadyExistsException e) {
            // made by another: kept
        } catch (IOException | UnsupportedOperationException e) {
            try {
                Files.move(tmp, target);
            } catch (IOException again) {
                // made by another meanwhile, or unwritable: told below
            }
        } finally {
            deleteFile(tmp);
            if (!Files.isRegularFile(target)) {
                ioFailures.incrementAndGet();
                throw new UncheckedIOException(new IOException("cannot write " + target));
            }
        }
    }

    /**
     * Creates the cache directory (owner-only) when it is missing.
     *
     * @throws UncheckedIOException when it cannot
     */
    public void create() {
        try {
            InstrumentedClassCache.createPrivateDirectories(dir);
        } catch (IOException e) {
            ioFailures.incrementAndGet();
            throw new UncheckedIOException("cannot create the start-up cache " + dir, e);
        }
    }

    /**
     * Gives up a training: deletes its temporary directory and releases the claim.
     *
     * @param key the key
     * @param tmp the directory {@link #begin} gave
     */
    public void abandon(String key, Path tmp) {
        delete(tmp);
        deleteFile(dir.resolve(key + ".training"));
    }

    /**
     * Deletes a key's entry and keeps it from being made again within the TTL.
     *
     * @param key the key
     */
    public void markBad(String key) {
        delete(dir.resolve(key));
        try {
            InstrumentedClassCache.createPrivateDirectories(dir);
            Path marker = dir.resolve(key + ".bad");
            Files.write(marker, new byte[0]);
            Files.setLastModifiedTime(marker, FileTime.from(clock.instant()));
        } catch (IOException e) {
            ioFailures.incrementAndGet();
        }
    }

    /**
     * Deletes expired entries and markers, stale temporary directories, then the least recently
     * used entries until the rest fit the size bound.
     */
    public void evict() {
        List<Path> entries = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String name = p.getFileName().toString();
                FileTime t = Files.getLastModifiedTime(p);
                if (name.contains(TEMP)) {
                    if (olderThan(t, STALE_TRAINING)) {
                        delete(p);
                    }
                } else if (name.endsWith(".bad") || name.startsWith("boot-")) {
                    if (expired(t)) {
                        deleteFile(p);
                    }
                } else if (Files.isDirectory(p)) {
                    Path archive = p.resolve(ARCHIVE);
                    if (!Files.exists(archive) || expired(Files.getLastModifiedTime(archive))) {
                        delete(p);
                    } else {
                        entries.add(p);
                    }
                }
            }
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException | UncheckedIOException e) {
            ioFailures.incrementAndGet();
            return;
        }
        List<long[]> sized = new ArrayList<>(); // [index, lastUse, bytes]
        long total = 0;
        for (int i = 0; i < entries.size(); i++) {
            long bytes = bytes(entries.get(i));
            long used = lastModified(entries.get(i));
            sized.add(new long[] {i, used, bytes});
            total += bytes;
        }
        sized.sort(Comparator.comparingLong(a -> a[1]));
        for (long[] e : sized) {
            if (total <= maxBytes) {
                break;
            }
            delete(entries.get((int) e[0]));
            total -= e[2];
        }
    }

    /** @return the bytes of all complete entries */
    public long sizeBytes() {
        long total = 0;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isDirectory(p) && !p.getFileName().toString().contains(TEMP)) {
                    total += bytes(p);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            return total;
        }
        return total;
    }

    private boolean expired(FileTime t) {
        return olderThan(t, ttl);
    }

    private boolean olderThan(FileTime t, Duration age) {
        return t.toInstant().plus(age).isBefore(clock.instant());
    }

    private long lastModified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    private long bytes(Path entry) {
        long n = 0;
        try (Stream<Path> s = Files.list(entry)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                n += Files.size(f);
            }
        } catch (IOException | UncheckedIOException e) {
            // deleted meanwhile
        }
        return n;
    }

    private void delete(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(f);
            }
        } catch (IOException | UncheckedIOException e) {
            ioFailures.incrementAndGet();
        }
    }

    private void deleteFile(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            ioFailures.incrementAndGet();
        }
    }
}
