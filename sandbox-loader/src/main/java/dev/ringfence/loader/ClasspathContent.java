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
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Every class and resource of a classpath, read into memory, and its content hash. Built on the
 * caller's thread; after that nothing here touches the file system. Immutable once built.
 *
 * <p>The id is the SHA-256 of every entry's name and bytes, element by element in classpath
 * order, entries sorted by name: the same content gives the same id wherever the files lie and
 * whatever the jar's timestamps or entry order. A multi-release jar contributes, under each base
 * name, the entry of the highest {@code META-INF/versions/N/} not above the running JDK.
 */
final class ClasspathContent {
    private static final String VERSIONS = "META-INF/versions/";

    private final String id;
    private final List<Path> classpath;
    private final Map<String, List<byte[]>> entries;
    private final List<String> classNames;
    private final List<String> reservedClasses;

    private ClasspathContent(String id, List<Path> classpath, Map<String, List<byte[]>> entries) {
        this.id = id;
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
     * Reads a classpath.
     *
     * @param classpath jars and class directories, in lookup order
     * @param maxBytes the most bytes all entries together may hold
     * @return the content
     * @throws VersionException when an entry is missing, unreadable or the whole is too large
     */
    static ClasspathContent read(List<Path> classpath, long maxBytes) throws VersionException {
        if (classpath.isEmpty()) {
            throw new IllegalArgumentException("the classpath is empty");
        }
        MessageDigest digest = sha256();
        digest.update("ringfence-classpath-v1\n".getBytes(StandardCharsets.UTF_8));
        Budget budget = new Budget(maxBytes);
        Map<String, List<byte[]>> merged = new HashMap<>();
        List<Path> paths = new ArrayList<>();
        for (Path p : classpath) {
            Path path = p.toAbsolutePath().normalize();
            paths.add(path);
            SortedMap<String, byte[]> raw = readElement(path, budget);
            hash(digest, raw);
            for (Map.Entry<String, byte[]> e : effective(raw, Files.isRegularFile(path)).entrySet()) {
                merged.computeIfAbsent(e.getKey(), k -> new ArrayList<>(1)).add(e.getValue());
            }
        }
        return new ClasspathContent(HexFormat.of().formatHex(digest.digest()), List.copyOf(paths), merged);
    }

    private static SortedMap<String, byte[]> readElement(Path path, Budget budget) throws VersionException {
        if (!Files.exists(path)) {
            throw new VersionException(VersionException.Reason.MISSING_PATH, "classpath entry not found: " + path);
        }
        try {
            if (Files.isDirectory(path)) {
                return readDirectory(path, budget);
            }
            if (Files.isRegularFile(path)) {
                return readJar(path, budget);
            }
        } catch (IOException | UncheckedIOException | SecurityException e) {
            throw new VersionException(VersionException.Reason.UNREADABLE,
                    "cannot read " + path + ": " + oneLine(e), e);
        }
        throw new VersionException(VersionException.Reason.UNREADABLE,
                "classpath entry is neither a jar nor a directory: " + path);
    }

    private static SortedMap<String, byte[]> readDirectory(Path dir, Budget budget) throws IOException, VersionException {
        SortedMap<String, byte[]> out = new TreeMap<>();
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

    private static SortedMap<String, byte[]> readJar(Path jar, Budget budget) throws IOException, VersionException {
        SortedMap<String, byte[]> out = new TreeMap<>();
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

    private static void hash(MessageDigest digest, SortedMap<String, byte[]> raw) {
        digest.update((byte) 'E');
        updateInt(digest, raw.size());
        for (Map.Entry<String, byte[]> e : raw.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            updateInt(digest, name.length);
            digest.update(name);
            updateInt(digest, e.getValue().length);
            digest.update(e.getValue());
        }
    }

    private static void updateInt(MessageDigest digest, int v) {
        digest.update((byte) (v >>> 24));
        digest.update((byte) (v >>> 16));
        digest.update((byte) (v >>> 8));
        digest.update((byte) v);
    }

    /** Applies the multi-release overlay of a jar: versioned entries replace their base names. */
    private static SortedMap<String, byte[]> effective(SortedMap<String, byte[]> raw, boolean jar) {
        if (!jar || !multiRelease(raw.get("META-INF/MANIFEST.MF"))) {
            return raw;
        }
        int runtime = Runtime.version().feature();
        SortedMap<String, byte[]> out = new TreeMap<>(raw);
        Map<String, Integer> chosen = new HashMap<>();
        for (Map.Entry<String, byte[]> e : raw.entrySet()) {
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
     * An entry's bytes from every classpath element that has it.
     *
     * @param name the entry name ({@code a/b/C.class}, {@code META-INF/services/x})
     * @return the bytes, first element first; empty when absent. Callers must not modify them.
     */
    List<byte[]> all(String name) {
        List<byte[]> l = entries.get(name);
        return l == null ? List.of() : l;
    }

    /**
     * The entry the first classpath element that has it holds.
     *
     * @param name the entry name
     * @return its bytes, or null. Callers must not modify them.
     */
    byte[] first(String name) {
        List<byte[]> l = entries.get(name);
        return l == null ? null : l.get(0);
    }

    /** Counts the bytes read against the bound. */
    private static final class Budget {
        private final long max;
        private long used;

        Budget(long max) {
            this.max = max;
        }

        byte[] read(InputStream in, String name) throws IOException, VersionException {
            long left = max - used;
            byte[] b = in.readNBytes((int) Math.min(left + 1, Integer.MAX_VALUE - 16));
            if (b.length > left) {
                throw new VersionException(VersionException.Reason.TOO_LARGE,
                        "classpath holds more than " + max + " bytes (at " + name + ")");
            }
            used += b.length;
            return b;
        }
    }
}
