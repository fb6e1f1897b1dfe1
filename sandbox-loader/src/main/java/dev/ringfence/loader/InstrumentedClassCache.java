package dev.ringfence.loader;

import dev.ringfence.limiter.Instrumenter;
import dev.ringfence.limiter.Metering;
import dev.ringfence.limiter.Policy;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An on-disk cache of instrumented class files, so that a version whose classes were seen before
 * (by this process or an earlier one) skips instrumentation.
 *
 * <p>An entry is keyed by the SHA-256 of the original class bytes, {@link Instrumenter#key() the instrumenter's version and flavour}
 * and the policy's {@linkplain Policy#fingerprint() fingerprint}, and lives at
 * {@code <dir>/<first two hex digits>/<key>.class}. Its file holds a magic number, the SHA-256 of
 * the payload and the payload; a file that is truncated or corrupt is a miss and is overwritten by
 * the next store. Writes go to a temporary file in the same directory that is then moved into place
 * atomically, so readers never see a partial entry. Files are read and written with stream I/O,
 * which an interrupt does not abort (handler threads get interrupted when their budget trips).
 *
 * <p>Besides per-class entries the cache holds <em>bundles</em>: one file per handler version
 * (keyed by the SHA-256 of the version's content id, {@link Instrumenter#key() the instrumenter's version and flavour} and the policy
 * fingerprint), at {@code <dir>/<first two hex digits>/<key>.bundle}, holding every instrumented
 * class of the version seen so far, name by name. A warm load reads one bundle instead of one
 * file per class. A bundle is checked with a CRC32C, which catches truncation and accidental
 * corruption, not tampering: <strong>the cache is not a security boundary</strong>. Whoever can
 * write the cache directory can make a version run uninstrumented code, so it must be private to
 * the user running ringfence; directories the cache creates are made owner-only where the file
 * system supports POSIX permissions. Per-class entries stay the fallback, for classes shared by
 * several versions.
 *
 * <p>The cache also holds <em>id records</em>, at {@code <dir>/<first two hex digits>/<key>.id}:
 * the content id of a classpath (see {@link HandlerVersion#id()}), keyed by the SHA-256 of its jar
 * files' bytes. A classpath whose jars were read before, byte for byte, takes its id from the
 * record instead of inflating and hashing every entry again, and keeps its class files compressed
 * in memory until they are needed. A record holds a magic number, a CRC32C, its key and the id; one
 * that is truncated, corrupt or filed under another key is a miss and is rewritten. It is trusted
 * as a bundle is, and for the same reason: only the user running ringfence may write here.
 *
 * <p>The cache is bounded: when the bytes stored pass {@code maxBytes}, entries, bundles and id
 * records are deleted least recently used first (a hit sets the file's modification time when it
 * is more than an hour old) until 90% of the bound is left. A bundle larger than a quarter of the
 * bound is not written. I/O errors never fail a load: a failed read is a miss, a failed write is
 * counted and ignored.
 *
 * <p>Assumptions and guarantees: thread-safe; several processes may share one directory, since
 * every file appears atomically and a reader tolerates an entry vanishing under it; the size the
 * bound is checked against is this process's estimate, corrected by a scan at each eviction.
 */
public final class InstrumentedClassCache {
    /** The default bound: 256 MiB. */
    public static final long DEFAULT_MAX_BYTES = 256L << 20;

    private static final byte[] MAGIC = {'R', 'F', 'I', 'C'};
    private static final byte[] BUNDLE_MAGIC = {'R', 'F', 'I', 'B'};
    private static final byte[] ID_MAGIC = {'R', 'F', 'C', 'I'};
    /** An id record: magic, CRC32C of the rest, the key (64 hex digits), the content id (64 hex digits). */
    private static final int ID_RECORD = ID_MAGIC.length + 4 + 64 + 64;
    private static final int BUNDLE_HEADER = BUNDLE_MAGIC.length + 4;
    private static final long MAX_BUNDLE_BYTES = 512L << 20;
    private static final long TOUCH_AFTER_MILLIS = 60 * 60_000L;
    private static final MessageDigest SHA256_PROTOTYPE = newSha256();
    private static final int HEADER = MAGIC.length + 32;
    private static final long MAX_ENTRY_BYTES = 64L << 20;
    private static final long STALE_TEMP_MILLIS = 10 * 60_000L;

    private final Path dir;
    private final long maxBytes;
    private final Tally entries = new Tally();
    private final Tally bundles = new Tally();
    private final Tally ids = new Tally();
    private final AtomicLong evictions = new AtomicLong();
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
        return key(classFile, policy, Metering.COUNT);
    }

    /**
     * The cache key of a class under a policy and a flavour of probes.
     *
     * @param classFile the original class file
     * @param policy the policy it is instrumented under
     * @param metering the flavour of its probes
     * @return 64 lower-case hex digits
     */
    public static String key(byte[] classFile, Policy policy, Metering metering) {
        MessageDigest d = keyDigest("ringfence-instrumented-class\n", policy, metering);
        d.update(classFile);
        return HexFormat.of().formatHex(d.digest());
    }

    /** A digest that has taken in what every key shares: its kind, the instrumenter and the policy. */
    private static MessageDigest keyDigest(String kind, Policy policy, Metering metering) {
        MessageDigest d = sha256();
        d.update(kind.getBytes(StandardCharsets.UTF_8));
        d.update(new Instrumenter(metering).key().getBytes(StandardCharsets.UTF_8));
        d.update((byte) '\n');
        byte[] fp = policy.fingerprint().getBytes(StandardCharsets.UTF_8);
        d.update(Integer.toString(fp.length).getBytes(StandardCharsets.UTF_8));
        d.update((byte) '\n');
        d.update(fp);
        return d;
    }

    /**
     * Reads an entry. A hit marks the entry as recently used.
     *
     * @param key a key from {@link #key}
     * @return the instrumented class file, or null on a miss (absent, unreadable or corrupt)
     */
    public byte[] lookup(String key) {
        return lookupFile(pathOf(key), MAX_ENTRY_BYTES, entries, InstrumentedClassCache::payload);
    }

    /** What one kind of file (entry, bundle, id record) has seen. */
    private static final class Tally {
        final AtomicLong hits = new AtomicLong();
        final AtomicLong misses = new AtomicLong();
        final AtomicLong stores = new AtomicLong();
        final AtomicLong corrupt = new AtomicLong();
    }

    /**
     * Reads and parses a cache file, counting the hit, the miss or the corrupt file; a hit marks
     * the file as recently used.
     *
     * @return what {@code parse} made of it, or null on a miss
     */
    private static <T> T lookupFile(Path p, long max, Tally tally, java.util.function.Function<byte[], T> parse) {
        Stored stored = read(p, max);
        T parsed = stored == null ? null : parse.apply(stored.bytes);
        if (parsed == null) {
            if (stored != null) {
                tally.corrupt.incrementAndGet();
            }
            tally.misses.incrementAndGet();
            return null;
        }
        touchIfOld(p, stored.mtime);
        tally.hits.incrementAndGet();
        return parsed;
    }

    /**
     * Writes a cache file under a temporary name, moves it into place, counts it and evicts old
     * files when the bound is passed. Failures are counted ({@link #writeFailures()}) and
     * otherwise ignored.
     */
    private void storeFile(Path p, String key, byte[] raw, Tally tally) {
        File tmp = p.resolveSibling("." + key + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp")
                .toFile();
        long before;
        try {
            createPrivateDirectories(p.getParent());
            try (OutputStream out = new FileOutputStream(tmp)) {
                out.write(raw);
            }
            try {
                before = Files.size(p);
            } catch (IOException e) {
                before = 0; // a new file
            }
            moveIntoPlace(tmp, p);
            tally.stores.incrementAndGet();
        } catch (IOException | RuntimeException e) {
            writeFailures.incrementAndGet();
            tmp.delete();
            return;
        }
        if (addSize(raw.length - before) > maxBytes) {
            evict();
        }
    }
    /** A file's bytes and modification time. */
    private static final class Stored {
        final byte[] bytes;
        final long mtime;

        Stored(byte[] bytes, long mtime) {
            this.bytes = bytes;
            this.mtime = mtime;
        }
    }

    /**
     * Reads a cache file.
     *
     * @return its bytes (an empty array when it is larger than {@code max}, which no parser
     *     accepts, so it counts as corrupt), or null when it is absent or unreadable
     */
    private static Stored read(Path p, long max) {
        long mtime;
        long size;
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            mtime = a.lastModifiedTime().toMillis();
            size = a.size();
            if (size > max) {
                return new Stored(new byte[0], mtime);
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        try (InputStream in = new FileInputStream(p.toFile())) {
            byte[] bytes = in.readNBytes((int) size); // one array of the right size, in one read
            int next = in.read();
            if (next >= 0) { // replaced by a larger file since its size was read: read the rest, within the bound
                byte[] rest = in.readNBytes((int) (max - bytes.length));
                if (bytes.length + 1L + rest.length > max) {
                    return new Stored(new byte[0], mtime);
                }
                byte[] all = Arrays.copyOf(bytes, bytes.length + 1 + rest.length);
                all[bytes.length] = (byte) next;
                System.arraycopy(rest, 0, all, bytes.length + 1, rest.length);
                bytes = all;
            }
            return new Stored(bytes, mtime);
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    /** Marks a file as recently used, unless it was marked less than an hour ago (saves a write per hit). */
    private static void touchIfOld(Path p, long mtime) {
        long now = System.currentTimeMillis();
        if (now - mtime < TOUCH_AFTER_MILLIS) {
            return;
        }
        try {
            Files.setLastModifiedTime(p, FileTime.fromMillis(now));
        } catch (IOException | RuntimeException e) {
            // a read-only cache still serves hits; only its eviction order suffers
        }
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
        byte[] raw = new byte[HEADER + instrumented.length];
        System.arraycopy(MAGIC, 0, raw, 0, MAGIC.length);
        System.arraycopy(sha256().digest(instrumented), 0, raw, MAGIC.length, 32);
        System.arraycopy(instrumented, 0, raw, HEADER, instrumented.length);
        storeFile(pathOf(key), key, raw, entries);
    }
    private static void moveIntoPlace(File tmp, Path p) throws IOException {
        try {
            Files.move(tmp.toPath(), p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp.toPath(), p, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Creates a directory and its missing parents, owner-only where the file system has POSIX
     * permissions: what a cache the JVM or the sandbox trusts needs (the start-up cache too).
     *
     * @param d the directory
     * @throws IOException when it cannot be created
     */
    public static void createPrivateDirectories(Path d) throws IOException {
        if (Files.isDirectory(d)) {
            return;
        }
        if (d.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createDirectories(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            Files.createDirectories(d);
        }
    }

    /**
     * The bundle key of a handler version under a policy.
     *
     * @param contentId the version's content id ({@link HandlerVersion#id()})
     * @param policy the policy its classes are instrumented under
     * @return 64 lower-case hex digits
     */
    public static String bundleKey(String contentId, Policy policy) {
        return bundleKey(contentId, policy, Metering.COUNT);
    }

    /**
     * The bundle key of a handler version under a policy and a flavour of probes.
     *
     * @param contentId the version's content id ({@link HandlerVersion#id()})
     * @param policy the policy its classes are instrumented under
     * @param metering the flavour of its probes
     * @return 64 lower-case hex digits
     */
    public static String bundleKey(String contentId, Policy policy, Metering metering) {
        MessageDigest d = keyDigest("ringfence-instrumented-bundle\n", policy, metering);
        d.update(contentId.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(d.digest());
    }

    /**
     * Reads a bundle. A hit marks it as recently used (at most once an hour).
     *
     * @param key a key from {@link #bundleKey}
     * @return class name to instrumented class file, or null on a miss (absent, unreadable or corrupt)
     */
    public Map<String, byte[]> lookupBundle(String key) {
        return lookupFile(bundlePathOf(key), MAX_BUNDLE_BYTES, bundles, raw -> parseBundle(key, raw));
    }
    private static Map<String, byte[]> parseBundle(String key, byte[] raw) {
        if (raw.length < BUNDLE_HEADER + 4 + 64
                || !Arrays.equals(raw, 0, BUNDLE_MAGIC.length, BUNDLE_MAGIC, 0, BUNDLE_MAGIC.length)) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(raw);
        b.position(BUNDLE_MAGIC.length);
        int crc = b.getInt();
        CRC32C c = new CRC32C();
        c.update(raw, BUNDLE_HEADER, raw.length - BUNDLE_HEADER);
        if ((int) c.getValue() != crc) {
            return null;
        }
        try {
            byte[] echo = new byte[64];
            b.get(echo);
            if (!key.equals(new String(echo, StandardCharsets.US_ASCII))) {
                return null; // a file moved under another name
            }
            int count = b.getInt();
            if (count < 0 || count > b.remaining() / 8) {
                return null;
            }
            Map<String, byte[]> out = new HashMap<>(count * 4 / 3 + 1);
            for (int i = 0; i < count; i++) {
                byte[] name = new byte[b.getInt()];
                b.get(name);
                byte[] bytes = new byte[b.getInt()];
                b.get(bytes);
                if (bytes.length < 4 || (bytes[0] & 0xff) != 0xCA || (bytes[1] & 0xff) != 0xFE
                        || (bytes[2] & 0xff) != 0xBA || (bytes[3] & 0xff) != 0xBE) {
                    return null;
                }
                out.put(new String(name, StandardCharsets.UTF_8), bytes);
            }
            return b.hasRemaining() ? null : out;
        } catch (RuntimeException e) { // negative or overlong lengths
            return null;
        }
    }

    /**
     * Writes a bundle, replacing what was there, and evicts old files when the bound is passed. A
     * bundle larger than a quarter of the bound is not written. Failures are counted
     * ({@link #writeFailures()}) and otherwise ignored.
     *
     * @param key a key from {@link #bundleKey}
     * @param classes class name to instrumented class file
     */
    public void storeBundle(String key, Map<String, byte[]> classes) {
        Path p = bundlePathOf(key);
        long total = BUNDLE_HEADER + 64 + 4;
        List<Map.Entry<byte[], byte[]>> entries = new ArrayList<>(classes.size());
        for (Map.Entry<String, byte[]> e : classes.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            entries.add(Map.entry(name, e.getValue()));
            total += 8L + name.length + e.getValue().length;
        }
        if (total > maxBytes / 4 || total > MAX_BUNDLE_BYTES) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate((int) total);
        b.put(BUNDLE_MAGIC).putInt(0).put(key.getBytes(StandardCharsets.US_ASCII)).putInt(entries.size());
        for (Map.Entry<byte[], byte[]> e : entries) {
            b.putInt(e.getKey().length).put(e.getKey()).putInt(e.getValue().length).put(e.getValue());
        }
        byte[] raw = b.array();
        CRC32C c = new CRC32C();
        c.update(raw, BUNDLE_HEADER, raw.length - BUNDLE_HEADER);
        ByteBuffer.wrap(raw).putInt(BUNDLE_MAGIC.length, (int) c.getValue());
        storeFile(p, key, raw, bundles);
    }

    /**
     * Reads the content id recorded for a classpath whose files were read before. A hit marks the
     * record as recently used (at most once an hour).
     *
     * @param key the SHA-256 of the classpath's files as they lie on disk, 64 hex digits (see
     *     {@link ClasspathContent})
     * @return the content id (64 lower-case hex digits), or null on a miss (absent, unreadable,
     *     corrupt, or a record of another key)
     */
    String lookupContentId(String key) {
        return lookupFile(idPathOf(key), ID_RECORD, ids, raw -> parseId(key, raw));
    }
    private static String parseId(String key, byte[] raw) {
        if (raw.length != ID_RECORD || !Arrays.equals(raw, 0, ID_MAGIC.length, ID_MAGIC, 0, ID_MAGIC.length)) {
            return null;
        }
        CRC32C c = new CRC32C();
        c.update(raw, ID_MAGIC.length + 4, raw.length - ID_MAGIC.length - 4);
        if ((int) c.getValue() != ByteBuffer.wrap(raw).getInt(ID_MAGIC.length)) {
            return null;
        }
        int at = ID_MAGIC.length + 4;
        if (!key.equals(new String(raw, at, 64, StandardCharsets.US_ASCII))) {
            return null; // a record moved under another name
        }
        String id = new String(raw, at + 64, 64, StandardCharsets.US_ASCII);
        return isKey(id) ? id : null;
    }

    /**
     * Records the content id of a classpath, replacing what was there. Failures are counted
     * ({@link #writeFailures()}) and otherwise ignored.
     *
     * @param key the SHA-256 of the classpath's files as they lie on disk, 64 hex digits
     * @param contentId the content id computed from those very bytes
     */
    void storeContentId(String key, String contentId) {
        checkKey(contentId);
        Path p = idPathOf(key);
        ByteBuffer b = ByteBuffer.allocate(ID_RECORD);
        b.put(ID_MAGIC).putInt(0).put(key.getBytes(StandardCharsets.US_ASCII))
                .put(contentId.getBytes(StandardCharsets.US_ASCII));
        byte[] raw = b.array();
        CRC32C c = new CRC32C();
        c.update(raw, ID_MAGIC.length + 4, raw.length - ID_MAGIC.length - 4);
        ByteBuffer.wrap(raw).putInt(ID_MAGIC.length, (int) c.getValue());
        storeFile(p, key, raw, ids);
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
            if ((n.endsWith(".class") || n.endsWith(".bundle") || n.endsWith(".id")) && a.isRegularFile()) {
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
        checkKey(key);
        return dir.resolve(key.substring(0, 2)).resolve(key + ".class");
    }

    /**
     * Where a bundle lives.
     *
     * @param key a key from {@link #bundleKey}
     * @return its path
     */
    Path bundlePathOf(String key) {
        checkKey(key);
        return dir.resolve(key.substring(0, 2)).resolve(key + ".bundle");
    }

    /**
     * Where the content id record of a classpath lives.
     *
     * @param key the SHA-256 of the classpath's files as they lie on disk
     * @return its path
     */
    Path idPathOf(String key) {
        checkKey(key);
        return dir.resolve(key.substring(0, 2)).resolve(key + ".id");
    }

    private static void checkKey(String key) {
        if (!isKey(key)) {
            throw new IllegalArgumentException("not a cache key: " + key);
        }
    }

    private static boolean isKey(String key) {
        return key.length() == 64 && key.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }

    /** A fresh SHA-256 digest, cloned from a prototype (cheaper than a provider lookup per call). */
    private static MessageDigest sha256() {
        try {
            return (MessageDigest) SHA256_PROTOTYPE.clone();
        } catch (CloneNotSupportedException e) {
            return newSha256();
        }
    }

    private static MessageDigest newSha256() {
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
        return entries.hits.get();
    }

    /** @return lookups that found nothing usable */
    public long misses() {
        return entries.misses.get();
    }

    /** @return entries written */
    public long stores() {
        return entries.stores.get();
    }

    /** @return entries deleted to keep within the bound */
    public long evictions() {
        return evictions.get();
    }

    /** @return lookups that found a truncated or corrupt entry (also counted as misses) */
    public long corruptEntries() {
        return entries.corrupt.get();
    }

    /** @return writes that failed (the class was used without being cached) */
    public long writeFailures() {
        return writeFailures.get();
    }

    /** @return bundle lookups that found a valid bundle */
    public long bundleHits() {
        return bundles.hits.get();
    }

    /** @return bundle lookups that found nothing usable */
    public long bundleMisses() {
        return bundles.misses.get();
    }

    /** @return bundles written */
    public long bundleStores() {
        return bundles.stores.get();
    }

    /** @return bundle lookups that found a truncated or corrupt bundle (also counted as bundle misses) */
    public long corruptBundles() {
        return bundles.corrupt.get();
    }

    /** @return classpaths whose content id came from an id record, their jars not inflated to hash them */
    public long contentIdHits() {
        return ids.hits.get();
    }

    /** @return id record lookups that found nothing usable */
    public long contentIdMisses() {
        return ids.misses.get();
    }

    /** @return id records written */
    public long contentIdStores() {
        return ids.stores.get();
    }

    /** @return id record lookups that found a truncated, corrupt or misplaced record (also counted as misses) */
    public long corruptContentIds() {
        return ids.corrupt.get();
    }

    @Override
    public String toString() {
        return "InstrumentedClassCache[" + dir + ", max " + maxBytes + " bytes]";
    }

    /** One file found by a scan. */
    private record Entry(Path path, long bytes, long lastUsed) {
    }
}
