package dev.ringfence.loader;

import dev.ringfence.limiter.SandboxPackages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.Inflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Every class and resource of a classpath, read into memory, and its content hash. Built on the
 * caller's thread; after that nothing here touches the file system. Immutable once built (an
 * entry still compressed is inflated, from memory, the first time it is asked for).
 *
 * <p>The id is the SHA-256 of every entry's name and bytes, element by element in classpath
 * order, entries sorted by name: the same content gives the same id wherever the files lie and
 * whatever the jar's timestamps or entry order. A multi-release jar contributes, under each base
 * name, the entry of the highest {@code META-INF/versions/N/} not above the running JDK.
 *
 * <p>A jar is read with one file read and one inflater ({@link JarEntries}) when it is small and
 * plain, else with {@link ZipFile}; both give the same entries, so the way it was read never
 * changes the id. Inflating every entry is the bulk of the cost of reading a jar. So, with an
 * {@link InstrumentedClassCache}, a classpath made of such jars is also keyed by the SHA-256 of the
 * jar files' bytes, and the cache records the content id computed from those very bytes: when
 * the same files are read again (by a reload, a restart, another route), the id is taken from the
 * record instead of being computed again, resources are inflated as before, and class files stay
 * compressed in memory until something asks for their bytes (a class the cache's bundle lacks,
 * or a class file read as a resource). The record is trusted as the bundle is: it is checked
 * against corruption and misplacement, and the cache must be private to the user running
 * ringfence. Without a cache, or on a miss, every entry is inflated and hashed.
 */
final class ClasspathContent {
    private static final String VERSIONS = "META-INF/versions/";
    private static final String MANIFEST = "META-INF/MANIFEST.MF";

    private final String id;
    private final boolean idRecorded;
    private final List<Path> classpath;
    /** Entry name to its copies, first element first: each a byte[] or a {@link Packed}. */
    private final Map<String, List<Object>> entries;
    private final List<String> classNames;
    private final List<String> reservedClasses;

    private ClasspathContent(String id, boolean idRecorded, List<Path> classpath, Map<String, List<Object>> entries) {
        this.id = id;
        this.idRecorded = idRecorded;
        this.classpath = classpath;
        this.entries = entries;
        List<String> classes = new ArrayList<>();
        List<String> reserved = new ArrayList<>();
        for (String name : entries.keySet()) {
            String cn = className(name);
            if (cn != null) {
                (isReserved(cn) ? reserved : classes).add(cn);
            }
        }
        Collections.sort(classes);
        Collections.sort(reserved);
        this.classNames = List.copyOf(classes);
        this.reservedClasses = List.copyOf(reserved);
    }

    /**
     * Reads a classpath, inflating and hashing every entry.
     *
     * @param classpath jars and class directories, in lookup order
     * @param maxBytes the most bytes all entries together may hold
     * @return the content
     * @throws VersionException when an entry is missing, unreadable or the whole is too large
     */
    static ClasspathContent read(List<Path> classpath, long maxBytes) throws VersionException {
        return read(classpath, maxBytes, null);
    }

    /**
     * Reads a classpath.
     *
     * @param classpath jars and class directories, in lookup order
     * @param maxBytes the most bytes all entries together may hold
     * @param cache where the content ids of classpaths read before are recorded, or null
     * @return the content
     * @throws VersionException when an entry is missing, unreadable or the whole is too large
     */
    static ClasspathContent read(List<Path> classpath, long maxBytes, InstrumentedClassCache cache)
            throws VersionException {
        if (classpath.isEmpty()) {
            throw new IllegalArgumentException("the classpath is empty");
        }
        Budget budget = new Budget(maxBytes);
        List<Path> paths = new ArrayList<>();
        List<Element> elements = new ArrayList<>();
        for (Path p : classpath) {
            Path path = p.toAbsolutePath().normalize();
            paths.add(path);
            elements.add(readElement(path, budget));
        }
        String filesKey = cache == null ? null : filesKeyOf(elements);
        String id = filesKey == null ? null : cache.lookupContentId(filesKey);
        boolean recorded = id != null;
        if (recorded && !inflateResources(elements)) {
            recorded = false; // bytes that do not inflate cannot be the ones the record was made from
            id = null;
        }
        if (id == null) {
            boolean allIndexed = true;
            for (Element e : elements) {
                allIndexed &= e.inflateAll(budget);
            }
            id = contentId(elements);
            if (filesKey != null && allIndexed) {
                cache.storeContentId(filesKey, id);
            }
        }
        Map<String, List<Object>> merged = new HashMap<>();
        for (Element e : elements) {
            for (Map.Entry<String, Object> en : effective(e.entries, e.jar).entrySet()) {
                merged.computeIfAbsent(en.getKey(), k -> new ArrayList<>(1)).add(en.getValue());
            }
        }
        return new ClasspathContent(id, recorded, List.copyOf(paths), merged);
    }

    /** The content id: the SHA-256 of every element's entries, all inflated. */
    private static String contentId(List<Element> elements) {
        MessageDigest digest = sha256();
        digest.update("ringfence-classpath-v1\n".getBytes(StandardCharsets.UTF_8));
        for (Element e : elements) {
            hash(digest, e.entries);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * The key of a classpath's files as they lie on disk: the SHA-256 of each jar's bytes, in
     * classpath order.
     *
     * @return the key, or null when an element is a directory or a jar read by {@code ZipFile}
     */
    private static String filesKeyOf(List<Element> elements) {
        List<byte[]> files = new ArrayList<>(elements.size());
        for (Element e : elements) {
            if (e.file == null) {
                return null;
            }
            files.add(e.file);
        }
        return filesKey(files);
    }

    /**
     * The key of a classpath of jars as they lie on disk.
     *
     * @param jars each jar file's bytes, in classpath order
     * @return 64 hex digits
     */
    static String filesKey(List<byte[]> jars) {
        MessageDigest key = sha256();
        key.update("ringfence-classpath-files-v1\n".getBytes(StandardCharsets.UTF_8));
        for (byte[] file : jars) {
            key.update((byte) 'J');
            key.update(sha256().digest(file));
        }
        return HexFormat.of().formatHex(key.digest());
    }

    /** Inflates every entry but class files. @return false when one does not inflate as stated */
    private static boolean inflateResources(List<Element> elements) {
        for (Element e : elements) {
            for (Map.Entry<String, Object> en : e.entries.entrySet()) {
                if (en.getValue() instanceof Packed packed && !en.getKey().endsWith(".class")) {
                    byte[] b = packed.bytes();
                    if (b == null) {
                        return false;
                    }
                    en.setValue(b);
                }
            }
        }
        return true;
    }

    private static Element readElement(Path path, Budget budget) throws VersionException {
        if (!Files.exists(path)) {
            throw new VersionException(VersionException.Reason.MISSING_PATH, "classpath entry not found: " + path);
        }
        try {
            if (Files.isDirectory(path)) {
                return new Element(path, false, readDirectory(path, budget), null, 0);
            }
            if (Files.isRegularFile(path)) {
                return readJar(path, budget);
            }
        } catch (IOException | UncheckedIOException | SecurityException e) {
            throw unreadable(path, e);
        }
        throw new VersionException(VersionException.Reason.UNREADABLE,
                "classpath entry is neither a jar nor a directory: " + path);
    }

    private static VersionException unreadable(Path path, Exception e) {
        return new VersionException(VersionException.Reason.UNREADABLE, "cannot read " + path + ": " + oneLine(e), e);
    }

    private static SortedMap<String, Object> readDirectory(Path dir, Budget budget) throws IOException, VersionException {
        SortedMap<String, Object> out = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            String name = dir.relativize(f).toString().replace(f.getFileSystem().getSeparator(), "/");
            try (InputStream in = Files.newInputStream(f)) {
                out.put(name, budget.read(in, name));
            }
        }
        return out;
    }

    /** Reads a jar's bytes and directory (inflating nothing yet), or, when that reader cannot, every entry with {@code ZipFile}. */
    private static Element readJar(Path jar, Budget budget) throws IOException, VersionException {
        byte[] file = JarEntries.readFile(jar.toFile());
        List<JarEntries.Entry> index = file == null ? null : JarEntries.index(file, budget.left());
        if (index == null) {
            return new Element(jar, true, readZipFile(jar, budget), null, 0);
        }
        SortedMap<String, Object> out = new TreeMap<>();
        long declared = 0;
        for (JarEntries.Entry e : index) {
            out.put(e.name(), new Packed(file, e));
            declared += e.length();
        }
        budget.charge(declared);
        return new Element(jar, true, out, file, declared);
    }

    private static SortedMap<String, Object> readZipFile(Path jar, Budget budget) throws IOException, VersionException {
        SortedMap<String, Object> out = new TreeMap<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            Enumeration<? extends ZipEntry> it = zip.entries();
            while (it.hasMoreElements()) {
                ZipEntry e = it.nextElement();
                if (e.isDirectory() || out.containsKey(e.getName())) {
                    continue;
                }
                try (InputStream in = zip.getInputStream(e)) {
                    out.put(e.getName(), budget.read(in, e.getName()));
                }
            }
        }
        return out;
    }

    private static void hash(MessageDigest digest, SortedMap<String, Object> raw) {
        byte[] four = new byte[4];
        digest.update((byte) 'E');
        updateInt(digest, four, raw.size());
        for (Map.Entry<String, Object> e : raw.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] bytes = (byte[]) e.getValue();
            updateInt(digest, four, name.length);
            digest.update(name);
            updateInt(digest, four, bytes.length);
            digest.update(bytes);
        }
    }

    /** Hashes an int as four bytes, big-endian. */
    private static void updateInt(MessageDigest digest, byte[] four, int v) {
        four[0] = (byte) (v >>> 24);
        four[1] = (byte) (v >>> 16);
        four[2] = (byte) (v >>> 8);
        four[3] = (byte) v;
        digest.update(four);
    }

    /** Applies the multi-release overlay of a jar: versioned entries replace their base names. */
    private static SortedMap<String, Object> effective(SortedMap<String, Object> raw, boolean jar) {
        if (!jar || !multiRelease((byte[]) raw.get(MANIFEST))) {
            return raw;
        }
        int runtime = Runtime.version().feature();
        SortedMap<String, Object> out = new TreeMap<>(raw);
        Map<String, Integer> chosen = new HashMap<>();
        for (Map.Entry<String, Object> e : raw.entrySet()) {
            String n = e.getKey();
            if (!n.startsWith(VERSIONS)) {
                continue;
            }
            int slash = n.indexOf('/', VERSIONS.length());
            if (slash < 0) {
                continue;
            }
            int v;
            try {
                v = Integer.parseInt(n.substring(VERSIONS.length(), slash));
            } catch (NumberFormatException ignored) {
                continue;
            }
            String base = n.substring(slash + 1);
            if (v <= runtime && v > chosen.getOrDefault(base, 0)) {
                chosen.put(base, v);
                out.put(base, e.getValue());
            }
        }
        return out;
    }

    private static boolean multiRelease(byte[] manifest) {
        if (manifest == null) {
            return false;
        }
        try {
            Attributes a = new Manifest(new ByteArrayInputStream(manifest)).getMainAttributes();
            return "true".equalsIgnoreCase(a.getValue("Multi-Release"));
        } catch (IOException e) {
            return false;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replace('\n', ' ').replace('\r', ' ');
    }

    /**
     * The binary name of the class an entry holds.
     *
     * @param entry an entry name
     * @return {@code a.b.C} for {@code a/b/C.class}, null for a resource or {@code module-info}
     */
    static String className(String entry) {
        if (!entry.endsWith(".class") || entry.startsWith("META-INF/") || entry.endsWith("module-info.class")) {
            return null;
        }
        return entry.substring(0, entry.length() - ".class".length()).replace('/', '.');
    }

    /**
     * Whether a class name lies in a package handler code may not define classes in.
     *
     * @param className a binary name
     * @return true for {@code java.*}, the API and the sandbox's internal packages
     */
    static boolean isReserved(String className) {
        return dev.ringfence.limiter.SandboxPackages.reserved(className);
    }

    /** @return the content hash, 64 hex digits */
    String id() {
        return id;
    }

    /** @return the classpath, absolute and normalised */
    List<Path> classpath() {
        return classpath;
    }

    /** @return binary names of the classes the version may define, sorted */
    List<String> classNames() {
        return classNames;
    }

    /** @return binary names of classes in reserved packages, which are never defined */
    List<String> reservedClasses() {
        return reservedClasses;
    }

    /**
     * @return true when the id was taken from the cache's record for these very jar files,
     *     rather than computed by inflating and hashing every entry
     */
    boolean idRecorded() {
        return idRecorded;
    }

    /**
     * Whether a classpath element has an entry; inflates nothing.
     *
     * @param name the entry name ({@code a/b/C.class}, {@code META-INF/services/x})
     * @return true when some element has it
     */
    boolean has(String name) {
        return entries.containsKey(name);
    }

    /**
     * How many classpath elements have an entry; inflates nothing.
     *
     * @param name the entry name
     * @return the number of copies
     */
    int count(String name) {
        List<Object> l = entries.get(name);
        return l == null ? 0 : l.size();
    }

    /**
     * One copy of an entry.
     *
     * @param name the entry name
     * @param index which copy, 0 for the first classpath element that has it
     * @return its bytes, or null when there is no such copy (or, for a class file kept compressed,
     *     when its bytes do not inflate, which only a tampered cache record can bring about).
     *     Callers must not modify them.
     */
    byte[] get(String name, int index) {
        List<Object> l = entries.get(name);
        if (l == null || index < 0 || index >= l.size()) {
            return null;
        }
        Object o = l.get(index);
        return o instanceof Packed packed ? packed.bytes() : (byte[]) o;
    }

    /**
     * The entry the first classpath element that has it holds.
     *
     * @param name the entry name
     * @return its bytes, or null (see {@link #get}). Callers must not modify them.
     */
    byte[] first(String name) {
        return get(name, 0);
    }

    /** @return how many entries are still compressed in memory, never asked for */
    int packedEntries() {
        int n = 0;
        for (List<Object> l : entries.values()) {
            for (Object o : l) {
                if (o instanceof Packed packed && !packed.inflated()) {
                    n++;
                }
            }
        }
        return n;
    }

    /** One classpath element as read: its entries before the multi-release overlay. */
    private static final class Element {
        final Path path;
        final boolean jar;
        /** Entry name to its bytes, or to a {@link Packed} entry of {@link #file}. */
        SortedMap<String, Object> entries;
        /** The jar file's bytes when {@link JarEntries} indexed it, else null. */
        final byte[] file;
        /** What its index charged to the budget. */
        final long declared;

        Element(Path path, boolean jar, SortedMap<String, Object> entries, byte[] file, long declared) {
            this.path = path;
            this.jar = jar;
            this.entries = entries;
            this.file = file;
            this.declared = declared;
        }

        /**
         * Inflates every entry; when one does not inflate as its jar's directory states, reads the
         * whole jar again with {@code ZipFile}, which reads it or reports why not.
         *
         * @return false when the jar had to be read with {@code ZipFile}
         */
        boolean inflateAll(Budget budget) throws VersionException {
            if (file == null) {
                return true;
            }
            Inflater inflater = new Inflater(true);
            try {
                for (Map.Entry<String, Object> en : entries.entrySet()) {
                    if (en.getValue() instanceof Packed packed) {
                        byte[] b = packed.inflateWith(inflater);
                        if (b == null) {
                            budget.release(declared);
                            try {
                                entries = readZipFile(path, budget);
                            } catch (IOException | UncheckedIOException | SecurityException e) {
                                throw unreadable(path, e);
                            }
                            return false;
                        }
                        en.setValue(b);
                    }
                }
            } finally {
                inflater.end();
            }
            return true;
        }
    }

    /** An entry still compressed in its jar's bytes, inflated the first time it is asked for. Thread-safe. */
    private static final class Packed {
        private final byte[] file;
        private final JarEntries.Entry entry;
        private byte[] bytes;
        private boolean done;

        Packed(byte[] file, JarEntries.Entry entry) {
            this.file = file;
            this.entry = entry;
        }

        /** @return its bytes, or null when they do not inflate as the directory states */
        synchronized byte[] bytes() {
            if (!done) {
                Inflater inflater = new Inflater(true);
                try {
                    inflateWith(inflater);
                } finally {
                    inflater.end();
                }
            }
            return bytes;
        }

        synchronized byte[] inflateWith(Inflater inflater) {
            if (!done) {
                bytes = JarEntries.inflate(file, entry, inflater);
                done = true;
            }
            return bytes;
        }

        synchronized boolean inflated() {
            return done;
        }
    }

    /** Counts the bytes read against the bound. */
    private static final class Budget {
        private final long max;
        private long used;

        Budget(long max) {
            this.max = max;
        }

        /** @return the bytes that may still be read */
        long left() {
            return max - used;
        }

        /** Counts bytes read elsewhere, within {@link #left()}. */
        void charge(long n) {
            used += n;
        }

        /** Takes back bytes {@linkplain #charge charged} for entries that are to be read again. */
        void release(long n) {
            used -= n;
        }

        byte[] read(InputStream in, String name) throws IOException, VersionException {
            long left = max - used;
            // one byte more than may be read, to tell "exactly full" from "too much" (and no overflow
            // when the bound is Long.MAX_VALUE)
            byte[] b = in.readNBytes((int) (Math.min(left, Integer.MAX_VALUE - 17) + 1));
            if (b.length > left) {
                throw new VersionException(VersionException.Reason.TOO_LARGE,
                        "classpath holds more than " + max + " bytes (at " + name + ")");
            }
            used += b.length;
            return b;
        }
    }
}
