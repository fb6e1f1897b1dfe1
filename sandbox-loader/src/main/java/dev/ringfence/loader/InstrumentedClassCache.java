package dev.ringfence.loader;

import dev.ringfence.limiter.Instrumenter;
import dev.ringfence.limiter.Policy;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An on-disk cache of instrumented class files, so that a version whose classes were seen before
 * (by this process or an earlier one) skips instrumentation.
 *
 * <p>An entry is keyed by the SHA-256 of the original class bytes, {@link Instrumenter#VERSION}
 * and the policy's {@linkplain Policy#fingerprint() fingerprint}, and lives at
 * {@code <dir>/<first two hex digits>/<key>.class}. Its file holds a magic number, the SHA-256 of
 * the payload and the payload; a file that is truncated or corrupt is a miss and is overwritten by
 * the next store. Writes go to a temporary file in the same directory that is then moved into place
 * atomically, so readers never see a partial entry. Files are read and written with stream I/O,
 * which an interrupt does not abort (handler threads get interrupted when their budget trips).
 *
 * <p>The cache is bounded: when the bytes stored pass {@code maxBytes}, entries are deleted least
 * recently used first (a hit sets the file's modification time) until 90% of the bound is left.
 * I/O errors never fail a load: a failed read is a miss, a failed write is counted and ignored.
 *
 * <p>Assumptions and guarantees: thread-safe; several processes may share one directory, since
 * every file appears atomically and a reader tolerates an entry vanishing under it; the size the
 * bound is checked against is this process's estimate, corrected by a scan at each eviction.
 */
public final class InstrumentedClassCache {
    /** The default bound: 256 MiB. */
    public static final long DEFAULT_MAX_BYTES = 256L << 20;

    private static final byte[] MAGIC = {'R', 'F', 'I', 'C'};
    private static final int HEADER = MAGIC.length + 32;
    private static final long MAX_ENTRY_BYTES = 64L << 20;
    private static final long STALE_TEMP_MILLIS = 10 * 60_000L;

    private final Path dir;
    private final long maxBytes;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong stores = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();
    private final AtomicLong corrupt = new AtomicLong();
    private final AtomicLong writeFailures = new AtomicLong();
    private final AtomicLong size = new AtomicLong(-1);

    /**
     * Opens a cache. The directory is created at the first store.
     *
     * @param dir the cache directory
     * @param maxBytes the bound on the bytes of all entries
     */
    public InstrumentedClassCache(Path dir, long maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }
        this.dir = dir.toAbsolutePath().normalize();
        this.maxBytes = maxBytes;
    }

    /**
     * Opens the cache at {@link #defaultDirectory()} with the default bound.
     *
     * @return the cache
     */
    public static InstrumentedClassCache atDefaultLocation() {
        return new InstrumentedClassCache(defaultDirectory(), DEFAULT_MAX_BYTES);
    }

    /**
     * The default cache directory: {@code $XDG_CACHE_HOME/ringfence/classes} when that variable
     * holds an absolute path, else {@code ~/.cache/ringfence/classes}.
     *
     * @return the directory
     */
    public static Path defaultDirectory() {
        return defaultDirectory(System.getenv(), System.getProperty("user.home"));
    }

    static Path defaultDirectory(Map<String, String> env, String userHome) {
        String xdg = env.get("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()
                ? Path.of(xdg) : Path.of(userHome, ".cache");
        return base.resolve("ringfence").resolve("classes");
    }

    /**
     * The cache key of a class under a policy.
     *
     * @param classFile the original class file
     * @param policy the policy it is instrumented under
     * @return 64 lower-case hex digits
     */
    public static String key(byte[] classFile, Policy policy) {
        MessageDigest d = sha256();
        d.update("ringfence-instrumented-class\n".getBytes(StandardCharsets.UTF_8));
        d.update(Integer.toString(Instrumenter.VERSION).getBytes(StandardCharsets.UTF_8));
        d.update((byte) '\n');
        byte[] fp = policy.fingerprint().getBytes(StandardCharsets.UTF_8);
        d.update(Integer.toString(fp.length).getBytes(StandardCharsets.UTF_8));
        d.update((byte) '\n');
        d.update(fp);
        d.update(classFile);
        return HexFormat.of().formatHex(d.digest());
    }

    /**
     * Reads an entry. A hit marks the entry as recently used.
     *
     * @param key a key from {@link #key}
     * @return the instrumented class file, or null on a miss (absent, unreadable or corrupt)
     */
    public byte[] lookup(String key) {
        Path p = pathOf(key);
        File f = p.toFile();
        byte[] raw;
        long len = f.length();
        if (len > MAX_ENTRY_BYTES) {
            corrupt.incrementAndGet();
            misses.incrementAndGet();
            return null;
        }
        try (InputStream in = new FileInputStream(f)) {
            raw = in.readNBytes((int) MAX_ENTRY_BYTES + 1);
        } catch (IOException | SecurityException e) {
            misses.incrementAndGet();
            return null;
        }
        byte[] payload = payload(raw);
        if (payload == null) {
            corrupt.incrementAndGet();
            misses.incrementAndGet();
            return null;
        }
        try {
            Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis()));
        } catch (IOException | RuntimeException e) {
            // a read-only cache still serves hits; only its eviction order suffers
        }
        hits.incrementAndGet();
        return payload;
    }

    private static byte[] payload(byte[] raw) {
        if (raw.length < HEADER + 4 || !Arrays.equals(raw, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return null;
        }
        byte[] payload = Arrays.copyOfRange(raw, HEADER, raw.length);
        byte[] digest = sha256().digest(payload);
        if (!Arrays.equals(raw, MAGIC.length, HEADER, digest, 0, digest.length)) {
            return null;
        }
        boolean classFile = (payload[0] & 0xff) == 0xCA && (payload[1] & 0xff) == 0xFE
                && (payload[2] & 0xff) == 0xBA && (payload[3] & 0xff) == 0xBE;
        return classFile ? payload : null;
    }

    /**
     * Writes an entry, replacing what was there, and evicts old entries when the bound is passed.
     * Failures are counted ({@link #writeFailures()}) and otherwise ignored.
     *
     * @param key a key from {@link #key}
     * @param instrumented the instrumented class file
     */
    public void store(String key, byte[] instrumented) {
        Path p = pathOf(key);
        File tmp = p.resolveSibling("." + key + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp")
                .toFile();
        try {
            Files.createDirectories(p.getParent());
            try (OutputStream out = new FileOutputStream(tmp)) {
                out.write(MAGIC);
                out.write(sha256().digest(instrumented));
                out.write(instrumented);
            }
            try {
                Files.move(tmp.toPath(), p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp.toPath(), p, StandardCopyOption.REPLACE_EXISTING);
            }
            stores.incrementAndGet();
        } catch (IOException | RuntimeException e) {
            writeFailures.incrementAndGet();
            tmp.delete();
            return;
        }
        long now = addSize(HEADER + instrumented.length);
        if (now > maxBytes) {
            evict();
        }
    }

    private long addSize(long n) {
        if (size.get() < 0) {
            synchronized (this) {
                if (size.get() < 0) {
                    long total = 0;
                    for (Entry e : scan()) {
                        total += e.bytes();
                    }
                    size.set(total);
                    return total; // the scan saw the new entry
                }
            }
        }
        return size.addAndGet(n);
    }

    /** Deletes least recently used entries until 90% of the bound is left. */
    private synchronized void evict() {
        List<Entry> entries = scan();
        long total = 0;
        for (Entry e : entries) {
            total += e.bytes();
        }
        entries.sort(Comparator.comparingLong(Entry::lastUsed).thenComparing(e -> e.path().toString()));
        long target = maxBytes / 10 * 9;
        for (Entry e : entries) {
            if (total <= target) {
                break;
            }
            try {
                Files.deleteIfExists(e.path());
                evictions.incrementAndGet();
            } catch (IOException | RuntimeException ex) {
                continue; // another process holds or removed it
            }
            total -= e.bytes();
        }
        size.set(total);
    }

    /** Lists every entry, and deletes temporary files an interrupted writer left behind. */
    private List<Entry> scan() {
        List<Entry> out = new ArrayList<>();
        long now = System.currentTimeMillis();
        try (DirectoryStream<Path> subs = Files.newDirectoryStream(dir)) {
            for (Path sub : subs) {
                if (!Files.isDirectory(sub) || sub.getFileName().toString().length() != 2) {
                    continue;
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(sub)) {
                    for (Path f : files) {
                        scanFile(f, now, out);
                    }
                } catch (IOException | RuntimeException e) {
                    continue; // vanished or unreadable: skip it
                }
            }
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException | RuntimeException e) {
            return out;
        }
        return out;
    }

    private static void scanFile(Path f, long now, List<Entry> out) {
        try {
            BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
            String n = f.getFileName().toString();
            long mtime = a.lastModifiedTime().toMillis();
            if (n.endsWith(".class") && a.isRegularFile()) {
                out.add(new Entry(f, a.size(), mtime));
            } else if (n.endsWith(".tmp") && now - mtime > STALE_TEMP_MILLIS) {
                Files.deleteIfExists(f);
            }
        } catch (IOException | RuntimeException e) {
            // removed by another process between the listing and now
        }
    }

    /**
     * Where an entry lives.
     *
     * @param key a key from {@link #key}
     * @return its path
     */
    Path pathOf(String key) {
        if (key.length() != 64 || !key.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            throw new IllegalArgumentException("not a cache key: " + key);
        }
        return dir.resolve(key.substring(0, 2)).resolve(key + ".class");
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** @return the cache directory */
    public Path directory() {
        return dir;
    }

    /** @return the bound on the bytes of all entries */
    public long maxBytes() {
        return maxBytes;
    }

    /** @return lookups that found a valid entry */
    public long hits() {
        return hits.get();
    }

    /** @return lookups that found nothing usable */
    public long misses() {
        return misses.get();
    }

    /** @return entries written */
    public long stores() {
        return stores.get();
    }

    /** @return entries deleted to keep within the bound */
    public long evictions() {
        return evictions.get();
    }

    /** @return lookups that found a truncated or corrupt entry (also counted as misses) */
    public long corruptEntries() {
        return corrupt.get();
    }

    /** @return writes that failed (the class was used without being cached) */
    public long writeFailures() {
        return writeFailures.get();
    }

    @Override
    public String toString() {
        return "InstrumentedClassCache[" + dir + ", max " + maxBytes + " bytes]";
    }

    /** One file found by a scan. */
    private record Entry(Path path, long bytes, long lastUsed) {
    }
}
