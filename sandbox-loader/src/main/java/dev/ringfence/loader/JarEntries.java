package dev.ringfence.loader;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Reads every entry of a small jar with one file read and one {@link Inflater}: the fast path of
 * {@link ClasspathContent}. {@link java.util.zip.ZipFile} pays, per entry, a positioned read of the
 * file, a fresh inflater stream and a cleaner registration; for a jar of many small classes that
 * is about as much as the inflation itself. {@link #index} reads the central directory alone, so
 * that entries can be inflated later, one by one, from the same bytes in memory ({@link #inflate}).
 *
 * <p>It reads what {@code ZipFile} reads, or nothing: the entries of the central directory in its
 * order, names as UTF-8, the first entry of each name, directories left out, each entry's data
 * found through its local header. It gives up ({@link #read} answers null; the caller then reads
 * the jar with {@code ZipFile}, which reads it or reports why not) on anything it does not handle
 * or cannot check: a file larger than {@value #MAX_FILE_BYTES} bytes; ZIP64; an end record whose
 * comment does not reach exactly to the end of the file; a central directory whose length or
 * entry count disagrees with the end record; anywhere in it, an encrypted entry, a method other
 * than stored or deflated, a malformed extra field or a malformed name (which {@code ZipFile}
 * refuses too); data that lies outside the file or runs into the central directory; data that
 * does not inflate to exactly the size the directory states; and declared sizes that pass the
 * bound (so that {@code ZipFile} reports the bound, at the entry that passes it). CRCs are not
 * checked, as {@code ZipFile} does not check them. Every access is bounds-checked and arrays
 * grow with the bytes that actually inflate, so a crafted file can make it give up, but never read
 * outside the file's bytes or allocate much more than the file and the bound.
 *
 * <p>Uses stream I/O, which an interrupt does not abort, like {@code ZipFile}.
 */
final class JarEntries {
    /** Larger jars are read by {@code ZipFile}, which does not hold the whole file in memory. */
    static final long MAX_FILE_BYTES = 64L << 20;

    private static final int END_SIG = 0x06054b50;
    private static final int END_LENGTH = 22;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    private static final int ZIP64_LOCATOR_LENGTH = 20;
    private static final int CEN_SIG = 0x02014b50;
    private static final int CEN_LENGTH = 46;
    private static final int LOC_SIG = 0x04034b50;
    private static final int LOC_LENGTH = 30;
    private static final int ZIP64_EXTRA = 0x0001;
    private static final int STORED = 0;
    private static final int DEFLATED = 8;
    private static final long MAGIC32 = 0xFFFFFFFFL;
    private static final int MAGIC16 = 0xFFFF;
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 16;
    private static final int GROW_FROM = 1 << 20;

    private JarEntries() {
    }

    /**
     * Reads a jar's entries, if this reader can.
     *
     * @param jar the jar file
     * @param maxBytes the most bytes its entries may hold together
     * @return entry name to bytes, sorted by name; or null when the jar is to be read by
     *     {@code ZipFile} instead
     * @throws IOException when the file cannot be read at all
     */
    static SortedMap<String, byte[]> read(File jar, long maxBytes) throws IOException {
        byte[] raw = readFile(jar);
        return raw == null ? null : parse(raw, maxBytes);
    }

    /**
     * Reads a whole jar file, if it is one for this reader.
     *
     * @param jar the jar file
     * @return its bytes, or null when it is too small or too large for this reader, or changed
     *     while it was read
     * @throws IOException when the file cannot be read
     */
    static byte[] readFile(File jar) throws IOException {
        long size = jar.length();
        if (size < END_LENGTH || size > MAX_FILE_BYTES) {
            return null; // not a zip, a vanished file (length 0), or one to stream
        }
        try (InputStream in = new FileInputStream(jar)) {
            byte[] raw = in.readNBytes((int) size);
            return raw.length == size && in.read() == -1 ? raw : null; // else changing under us: let ZipFile decide
        }
    }

    /**
     * Reads the entries of a whole jar in memory.
     *
     * @param raw the jar's bytes
     * @param maxBytes the most bytes its entries may hold together
     * @return entry name to bytes, sorted by name, or null to defer to {@code ZipFile}
     */
    static SortedMap<String, byte[]> parse(byte[] raw, long maxBytes) {
        List<Entry> entries = index(raw, maxBytes);
        if (entries == null) {
            return null;
        }
        SortedMap<String, byte[]> out = new TreeMap<>();
        Inflater inflater = new Inflater(true);
        try {
            for (Entry e : entries) {
                byte[] bytes = inflate(raw, e, inflater);
                if (bytes == null) {
                    return null;
                }
                out.put(e.name(), bytes);
            }
        } finally {
            inflater.end();
        }
        return out;
    }

    /**
     * Reads a jar's central directory and checks where each entry's data lies, without inflating
     * anything.
     *
     * @param raw the jar's bytes
     * @param maxBytes the most bytes its entries may hold together, as the directory states them
     * @return the entries to read (the first of each name, no directories), in directory order; or
     *     null to defer to {@code ZipFile}
     */
    static List<Entry> index(byte[] raw, long maxBytes) {
        int end = findEnd(raw);
        if (end < 0) {
            return null;
        }
        if (end >= ZIP64_LOCATOR_LENGTH && i32(raw, end - ZIP64_LOCATOR_LENGTH) == ZIP64_LOCATOR_SIG) {
            return null; // ZIP64
        }
        int total = u16(raw, end + 10);
        long cenLength = u32(raw, end + 12);
        long cenOffset = u32(raw, end + 16);
        if (total == MAGIC16 || cenLength == MAGIC32 || cenOffset == MAGIC32) {
            return null;
        }
        long cenStart = end - cenLength;
        long base = cenStart - cenOffset; // bytes prepended to the archive (a launcher script, say)
        if (cenStart < 0 || base < 0) {
            return null;
        }
        List<Entry> entries = new ArrayList<>(total);
        Set<String> seen = new HashSet<>(total * 4 / 3 + 1);
        CharsetDecoder utf8 = null;
        long declared = 0;
        int p = (int) cenStart;
        for (int i = 0; i < total; i++) {
            if (p > end - CEN_LENGTH || i32(raw, p) != CEN_SIG) {
                return null;
            }
            int flags = u16(raw, p + 8);
            int method = u16(raw, p + 10);
            long compressed = u32(raw, p + 20);
            long length = u32(raw, p + 24);
            int nameLength = u16(raw, p + 28);
            int extraLength = u16(raw, p + 30);
            int headerLength = CEN_LENGTH + nameLength + extraLength + u16(raw, p + 32);
            long localOffset = u32(raw, p + 42);
            if (headerLength > MAGIC16 || headerLength > end - p) {
                return null;
            }
            // what ZipFile refuses in any entry, and ZIP64 fields: left to ZipFile to judge
            if ((flags & 1) != 0 || (method != STORED && method != DEFLATED)
                    || compressed == MAGIC32 || length == MAGIC32 || localOffset == MAGIC32 || u16(raw, p + 34) == MAGIC16
                    || !plainExtra(raw, p + CEN_LENGTH + nameLength, extraLength)) {
                return null;
            }
            String name;
            if (ascii(raw, p + CEN_LENGTH, nameLength)) {
                name = new String(raw, p + CEN_LENGTH, nameLength, StandardCharsets.ISO_8859_1);
            } else {
                if (utf8 == null) {
                    utf8 = StandardCharsets.UTF_8.newDecoder(); // reports malformed input
                }
                try {
                    name = utf8.reset().decode(ByteBuffer.wrap(raw, p + CEN_LENGTH, nameLength)).toString();
                } catch (CharacterCodingException e) {
                    return null;
                }
            }
            p += headerLength;
            if (name.endsWith("/") || !seen.add(name)) {
                continue; // a directory, or a later copy of a name: never read
            }
            if (length > MAX_ARRAY || (method == STORED && compressed != length)) {
                return null;
            }
            declared += length;
            if (declared > maxBytes) {
                return null;
            }
            int data = dataOffset(raw, (int) cenStart, base + localOffset, compressed);
            if (data < 0) {
                return null;
            }
            entries.add(new Entry(name, method, (int) compressed, (int) length, data));
        }
        return p == end ? entries : null; // else the directory holds more than its count says
    }

    /** @return where an entry's data starts, or -1 when its local header or data is not inside the archive */
    private static int dataOffset(byte[] raw, int cenStart, long local, long compressed) {
        if (local > cenStart - LOC_LENGTH || i32(raw, (int) local) != LOC_SIG) {
            return -1;
        }
        int loc = (int) local;
        long start = (long) loc + LOC_LENGTH + u16(raw, loc + 26) + u16(raw, loc + 28);
        return start + compressed > cenStart ? -1 : (int) start; // data must end before the central directory
    }

    /**
     * Inflates (or copies) one entry.
     *
     * @param raw the jar's bytes, as {@link #index} saw them
     * @param e an entry from {@link #index}
     * @param inflater a raw-deflate inflater, reset here
     * @return its bytes, or null when they do not inflate to exactly the size the directory states
     */
    static byte[] inflate(byte[] raw, Entry e, Inflater inflater) {
        int from = e.data();
        if (e.method() == STORED) {
            return Arrays.copyOfRange(raw, from, from + e.length());
        }
        inflater.reset();
        inflater.setInput(raw, from, e.compressed());
        // a stated size is a claim: past a mebibyte, the array grows with what actually inflates
        byte[] out = new byte[Math.min(e.length(), GROW_FROM)];
        int n = 0;
        try {
            while (n < e.length()) {
                if (n == out.length) {
                    out = Arrays.copyOf(out, (int) Math.min(e.length(), 2L * out.length));
                }
                int k = inflater.inflate(out, n, out.length - n);
                if (k == 0) {
                    return null; // ended, or wants input or a dictionary, short of the stated size
                }
                n += k;
            }
            if (!inflater.finished() && (inflater.inflate(new byte[1]) != 0 || !inflater.finished())) {
                return null; // longer than stated, or cut short
            }
        } catch (DataFormatException ex) {
            return null;
        }
        return out;
    }

    /**
     * Finds the end record as {@code ZipFile} does, scanning back from the end of the file.
     *
     * @return its offset when the last end signature's comment reaches exactly to the end of the
     *     file; else -1 ({@code ZipFile} then tries harder, with checks of its own)
     */
    private static int findEnd(byte[] raw) {
        int lowest = Math.max(0, raw.length - END_LENGTH - MAGIC16);
        for (int i = raw.length - END_LENGTH; i >= lowest; i--) {
            if (i32(raw, i) == END_SIG) {
                return i + END_LENGTH + u16(raw, i + 20) == raw.length ? i : -1;
            }
        }
        return -1;
    }

    /**
     * Whether an extra field is a well-formed run of blocks with no ZIP64 block, as {@code ZipFile}
     * checks it (a run may end with fewer than four spare bytes).
     */
    private static boolean plainExtra(byte[] b, int off, int len) {
        int q = off;
        int limit = off + len;
        while (q + 4 <= limit) {
            int tag = u16(b, q);
            int size = u16(b, q + 2);
            q += 4;
            if (size > limit - q || tag == ZIP64_EXTRA) {
                return false;
            }
            q += size;
        }
        return true;
    }

    private static boolean ascii(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (b[i] < 0) {
                return false;
            }
        }
        return true;
    }

    private static int u16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }

    private static int i32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    private static long u32(byte[] b, int off) {
        return i32(b, off) & MAGIC32;
    }

    /**
     * One entry to read, its data known to lie inside the archive.
     *
     * @param name the entry name
     * @param method stored or deflated
     * @param compressed the bytes of its data
     * @param length its size, as the central directory states it
     * @param data where its data starts in the jar's bytes
     */
    record Entry(String name, int method, int compressed, int length, int data) {
    }
}
