package dev.ringfence.agent.gates;

import dev.ringfence.agent.process.MappedFiles;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The gated JDK classes as a host wove them, handed to its process-tier children so that a child
 * defines them without weaving: in a fresh JVM the weaving runs interpreted and was about a third
 * of a child's start.
 *
 * <p>The host records every class its transformer wove at installation ({@link #record}) and
 * writes them once, with its site table, to a file ({@link #write}); a child started with
 * {@value #PROPERTY}{@code =FILE} reads it ({@link #read}) and, when the file was written by the
 * same JDK and the same agent build, numbers its sites exactly as the host did and hands the JVM
 * the host's bytes for each class whose original bytes (CRC-32 and length) are the ones the host
 * wove. A class can have two originals: the class file of the JDK's image (a class woven as it
 * is loaded) and the one the JVM rebuilds from a loaded class when it is retransformed without
 * having kept its bytes; the host weaves the first kind too when it writes the file. Anything else (another JDK, another agent jar, a class that differs) is woven as usual,
 * so the file can only save work, never change what is gated.
 *
 * <p>Thread-safe: recording happens in the transformer on any thread.
 */
final class WovenGates {
    /** The system property naming the file a child reads. */
    static final String PROPERTY = "ringfence.gates.woven";
    /**
     * The system property naming the file a lazily gated child writes once its gates are in: the
     * classes it was handed ({@link #PROPERTY}), those it wove itself, and its site table.
     */
    static final String RECORD_PROPERTY = "ringfence.gates.record";

    /**
     * "RFG3": strings are a length and UTF-8 bytes, which a child decodes without a loop of its
     * own; a site names its gate table row by its number (the fingerprint pins the table), or
     * spells out a rule that is not in it.
     */
    static final int MAGIC = 0x52464733;

    /**
     * One woven class: what it was woven from (checksum and length) and the result, {@code size}
     * bytes of {@code data} from {@code offset}: a whole array (recorded here) or a part of the
     * mapped file a child read, copied out when used.
     */
    record Entry(long crc, int length, DirectBuffer data, int offset, int size) {
        Entry(long crc, int length, byte[] woven) {
            this(crc, length, new UnsafeBuffer(woven), 0, woven.length);
        }

        boolean wovenFrom(byte[] original) {
            return original.length == length && checksum(original) == crc;
        }

        /** @return the woven class file, an array of its own unless it is the whole of a recorded array */
        byte[] woven() {
            byte[] whole = data.byteArray();
            if (whole != null && offset == 0 && size == whole.length) {
                return whole;
            }
            byte[] out = new byte[size];
            data.getBytes(offset, out);
            return out;
        }
    }

    private final String fingerprint;
    private final Map<String, List<Entry>> classes;
    private final List<Sites.Site> sites;

    private WovenGates(String fingerprint, Map<String, List<Entry>> classes, List<Sites.Site> sites) {
        this.fingerprint = fingerprint;
        this.classes = classes;
        this.sites = sites;
    }

    /** @return an empty set that records what the transformer weaves */
    static WovenGates recording() {
        return new WovenGates(fingerprint(), new ConcurrentHashMap<>(), List.of());
    }

    /**
     * @param handed the classes this JVM was handed, or null
     * @return a set holding them that records what the transformer weaves besides
     */
    static WovenGates recordingAfter(WovenGates handed) {
        return new WovenGates(fingerprint(), new ConcurrentHashMap<>(handed == null ? Map.of() : handed.classes),
                List.of());
    }

    /**
     * Records one woven class (a later weaving of the same class replaces it).
     *
     * @param internalName the class
     * @param original the bytes it was woven from
     * @param woven the result
     */
    void record(String internalName, byte[] original, byte[] woven) {
        Entry e = new Entry(checksum(original), original.length, woven);
        classes.compute(internalName, (k, old) -> {
            List<Entry> all = new ArrayList<>();
            if (old != null) {
                for (Entry o : old) {
                    if (o.crc() != e.crc() || o.length() != e.length()) {
                        all.add(o);
                    }
                }
            }
            all.add(e);
            return List.copyOf(all);
        });
    }

    /**
     * Weaves the JDK image's class file of every table class this JVM has, unless held already:
     * what a child gets to see for a class it loads after installing its gates.
     */
    void addImageClassFiles() {
        for (String owner : GateTable.owners()) {
            byte[] image = GateTable.imageClassFile(owner);
            if (image == null) {
                continue; // not on this JDK
            }
            if (wovenFor(owner, image) == null) {
                GateWeaver.Woven w = GateWeaver.weave(owner, image);
                if (w != null && w.skipped().isEmpty()) {
                    record(owner, image, w.bytes());
                }
            }
        }
    }

    /**
     * @param internalName the class being defined or retransformed
     * @param original its bytes
     * @return the host's woven bytes when they were woven from exactly these bytes, else null
     */
    byte[] wovenFor(String internalName, byte[] original) {
        List<Entry> all = classes.get(internalName);
        if (all != null) {
            for (Entry e : all) {
                if (e.wovenFrom(original)) {
                    return e.woven();
                }
            }
        }
        return null;
    }

    /** @return the sites the host numbered, in the order of their numbers */
    List<Sites.Site> sites() {
        return sites;
    }

    /** @return how many woven class files are held */
    int size() {
        int n = 0;
        for (List<Entry> all : classes.values()) {
            n += all.size();
        }
        return n;
    }

    /**
     * Writes the recorded classes and the current site table to {@code file} (whole or not at
     * all: through a temporary file moved into place).
     *
     * @param file where
     * @throws IOException when it cannot be written
     */
    void write(Path file) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), "gates-", ".tmp");
        try {
            try (OutputStream o = Files.newOutputStream(tmp);
                    DataOutputStream out = new DataOutputStream(new BufferedOutputStream(o, 1 << 16))) {
                out.writeInt(MAGIC);
                writeString(out, fingerprint);
                List<Sites.Site> table = Sites.all();
                Map<GateSpec, Integer> rows = rowNumbers();
                out.writeInt(table.size());
                for (Sites.Site s : table) {
                    writeSpec(out, s.spec(), rows.get(s.spec()));
                    writeString(out, s.owner());
                    writeString(out, s.method());
                    writeString(out, s.desc());
                }
                Map<String, List<Entry>> snapshot = new HashMap<>(classes);
                int count = 0;
                for (List<Entry> all : snapshot.values()) {
                    count += all.size();
                }
                out.writeInt(count);
                for (Map.Entry<String, List<Entry>> c : snapshot.entrySet()) {
                    for (Entry e : c.getValue()) {
                        writeString(out, c.getKey());
                        out.writeLong(e.crc());
                        out.writeInt(e.length());
                        out.writeInt(e.size());
                        out.write(e.woven());
                    }
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Reads a file a host wrote, mapped to be read only: the woven classes are left in place and
     * copied out only when used (a child uses about a third). Decoding it field by field from a
     * stream was 20-25 ms of a JDK 25 child's start, interpreted; reading it whole into an array
     * then put 2.7 MB on a child's small heap (a collection at start, and a page fault for each
     * page of it, about 9 µs each on this machine), where a mapping touches the pages read. The
     * file is only ever replaced whole (see {@link #write}), never changed in place, so the mapping
     * stays what was read.
     *
     * @param file the file
     * @return its classes and sites, or null when it was written by another JDK or agent build
     * @throws IOException when it cannot be read or is not such a file
     */
    static WovenGates read(Path file) throws IOException {
        DirectBuffer all;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            all = MappedFiles.mapToRead(channel, channel.size());
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is too large for a file of woven gates", e);
        }
        try {
            In in = new In(all);
            if (all.capacity() < 4 || in.getInt() != MAGIC) {
                throw new IOException(file + " is not a file of woven gates");
            }
            String written = readString(in);
            if (!written.equals(fingerprint())) {
                return null;
            }
            int n = count(in);
            List<Sites.Site> sites = new ArrayList<>(n);
            for (int id = 0; id < n; id++) {
                GateSpec spec = readSpec(in);
                String owner = readString(in);
                String method = readString(in);
                String desc = readString(in);
                sites.add(new Sites.Site(id, spec, owner, method, desc, spec.apiFor(method)));
            }
            int classCount = count(in);
            Map<String, List<Entry>> classes = new HashMap<>(classCount * 2);
            for (int c = 0; c < classCount; c++) {
                String name = readString(in);
                long crc = in.getLong();
                int length = in.getInt();
                int size = count(in);
                int offset = in.position();
                if (size > in.remaining()) {
                    throw new IOException(file + " is cut short");
                }
                in.skip(size);
                classes.computeIfAbsent(name, k -> new ArrayList<>(2)).add(new Entry(crc, length, all, offset, size));
            }
            return new WovenGates(written, Map.copyOf(classes), List.copyOf(sites));
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new IOException(file + " is not a whole file of woven gates: " + e, e);
        }
    }

    /**
     * What a file must have been written under to be used: the JDK (its version and home) and this
     * agent build (where its classes come from, with the jar's size and time) and, where they come
     * from a directory (a build's classes, in tests), the gate table.
     */
    static String fingerprint() {
        StringBuilder b = new StringBuilder();
        b.append(System.getProperty("java.runtime.version")).append('|').append(System.getProperty("java.home"));
        CodeSource cs = WovenGates.class.getProtectionDomain().getCodeSource();
        if (cs != null && cs.getLocation() != null) {
            b.append('|').append(cs.getLocation());
            try {
                Path p = Path.of(cs.getLocation().toURI());
                b.append('|').append(Files.size(p)).append('@').append(Files.getLastModifiedTime(p).toMillis());
                if (Files.isRegularFile(p)) {
                    // the agent jar, whose size and time name its build and so its gate table (the
                    // table's checksum below was 3-4 ms of a child's start, interpreted)
                    return b.toString();
                }
            } catch (Exception e) {
                b.append("|?");
            }
        }
        CRC32 table = new CRC32();
        StringBuilder row = new StringBuilder(); // no record toString or string concatenation: their bootstraps are slow
        for (GateSpec r : GateTable.rows()) {
            row.setLength(0);
            row.append(r.capability()).append(';').append(r.kind()).append(';').append(r.owner()).append(';')
                    .append(r.name()).append(';').append(r.desc()).append(';').append(r.a()).append(';').append(r.b())
                    .append(';').append(r.n()).append(';').append(r.api()).append('\n');
            table.update(row.toString().getBytes(StandardCharsets.UTF_8));
        }
        return b.append('|').append(Long.toHexString(table.getValue())).toString();
    }

    /**
     * Whether someone other than this JVM's user could change what is in a directory: it, or its
     * parent (unless that is the system's temporary directory, which is shared by design), owned
     * by another user or writable by group or others.
     *
     * @param dir the directory
     * @return what is wrong, or null when only this user can change it (or the file system has no
     *     POSIX owners and permissions)
     * @throws IOException when it cannot be examined
     */
    static String othersCanWrite(Path dir) throws IOException {
        if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return null;
        }
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
        Path d = dir.toAbsolutePath().normalize();
        UserPrincipal me = d.getFileSystem().getUserPrincipalLookupService()
                .lookupPrincipalByName(System.getProperty("user.name"));
        for (int level = 0; level < 2 && d != null && !d.equals(tmp); level++, d = d.getParent()) {
            PosixFileAttributes a = Files.readAttributes(d, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            Set<PosixFilePermission> p = a.permissions();
            if (!a.owner().equals(me) || p.contains(PosixFilePermission.GROUP_WRITE)
                    || p.contains(PosixFilePermission.OTHERS_WRITE)) {
                return d + " is owned by " + a.owner().getName() + " with " + PosixFilePermissions.toString(p);
            }
        }
        return null;
    }

    /** @return each row of the gate table and its number (rows are compared as values) */
    private static Map<GateSpec, Integer> rowNumbers() {
        List<GateSpec> rows = GateTable.rows();
        Map<GateSpec, Integer> out = new HashMap<>(rows.size() * 2);
        for (int i = rows.size() - 1; i >= 0; i--) {
            out.put(rows.get(i), i); // the first of equal rows, as the weaver matches them
        }
        return out;
    }

    /**
     * Writes a site's rule as its number in the gate table or, for a rule not in the table (made
     * elsewhere, as tests make theirs), -1 and its nine fields.
     */
    private static void writeSpec(DataOutputStream out, GateSpec spec, Integer row) throws IOException {
        if (row != null) {
            out.writeInt(row);
            return;
        }
        out.writeInt(-1);
        String[] fields = {spec.capability(), spec.kind().name(), spec.owner(), spec.name(), spec.desc(), spec.a(),
            spec.b(), spec.n(), spec.api()};
        for (String f : fields) {
            if (f == null) {
                out.writeInt(-1);
            } else {
                writeString(out, f);
            }
        }
    }

    /**
     * A site's rule: its number in the gate table, which is this build's (the file's fingerprint
     * matched), or -1 and its fields. Decoding the nine fields of every rule was half of reading the
     * file in a child.
     */
    private static GateSpec readSpec(In in) throws IOException {
        int row = in.getInt();
        List<GateSpec> rows = GateTable.rows();
        if (row >= 0 && row < rows.size()) {
            return rows.get(row);
        }
        if (row != -1) {
            throw new IOException("no gate rule " + row + " in a table of " + rows.size());
        }
        String[] f = new String[9];
        for (int i = 0; i < f.length; i++) {
            f[i] = readNullableString(in);
        }
        GateKind kind;
        try {
            kind = GateKind.valueOf(f[1]);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IOException("not a gate rule: " + f[1], e);
        }
        return new GateSpec(f[0], kind, f[2], f[3], f[4], f[5], f[6], f[7], f[8]);
    }

    /** Writes a string as its UTF-8 length and bytes. */
    static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(In in) throws IOException {
        String s = readNullableString(in);
        if (s == null) {
            throw new IOException("a string is missing");
        }
        return s;
    }

    private static String readNullableString(In in) throws IOException {
        int length = in.getInt();
        if (length == -1) {
            return null;
        }
        if (length < 0 || length > in.remaining()) {
            throw new IOException("a string's length is out of bounds: " + length);
        }
        return in.getString(length);
    }

    private static int count(In in) throws IOException {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IOException("a count is out of bounds: " + n);
        }
        return n;
    }

    /** A big-endian reader over a buffer (DataOutputStream's order), with bounds checked by the buffer. */
    private static final class In {
        private final DirectBuffer buffer;
        private int position;

        In(DirectBuffer buffer) {
            this.buffer = buffer;
        }

        int getInt() {
            int v = buffer.getInt(position, ByteOrder.BIG_ENDIAN);
            position += 4;
            return v;
        }

        long getLong() {
            long v = buffer.getLong(position, ByteOrder.BIG_ENDIAN);
            position += 8;
            return v;
        }

        String getString(int length) {
            byte[] b = new byte[length];
            buffer.getBytes(position, b);
            position += length;
            return new String(b, StandardCharsets.UTF_8);
        }

        void skip(int length) {
            position += length;
        }

        int position() {
            return position;
        }

        int remaining() {
            return buffer.capacity() - position;
        }
    }

    private static long checksum(byte[] bytes) {
        CRC32 c = new CRC32();
        c.update(bytes);
        return c.getValue();
    }
}
