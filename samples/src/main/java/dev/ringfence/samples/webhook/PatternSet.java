package dev.ringfence.samples.webhook;

import java.util.concurrent.atomic.LongAdder;

/**
 * The dynamic subject patterns: a set of subject hashes ({@link SubjectHash}) with O(1) lookup —
 * open addressing over a power-of-two table kept at most half full, the hash's bits mixed once
 * more so that neighbouring hashes spread. A lookup hashes once and probes until it finds the key
 * or an empty slot; {@link #probes()} counts those probes, so the constant cost can be checked as a
 * count rather than a time.
 *
 * <p>Thread-safety: writers are serialised on this object; a lookup reads the current table
 * through a volatile field and never sees a half-built one (a table that grows is built aside and
 * then published; an added key is written before the size that counts it). 0 is not a valid key
 * (it marks empty slots), so it is stored as a separate flag.
 */
public final class PatternSet {
    private volatile long[] table = new long[16];
    private volatile boolean hasZero;
    private int size;
    private final LongAdder probes = new LongAdder();
    private final LongAdder lookups = new LongAdder();

    /**
     * @param hash a subject hash
     * @return whether it is in the set
     */
    public boolean contains(long hash) {
        if (hash == 0) {
            return hasZero;
        }
        long[] t = table;
        int mask = t.length - 1;
        int i = slot(hash, mask);
        long n = 1;
        while (t[i] != 0 && t[i] != hash) {
            i = (i + 1) & mask;
            n++;
        }
        probes.add(n);
        lookups.increment();
        return t[i] == hash;
    }

    /**
     * @param hash a subject hash
     * @return whether it was added (false when it was there)
     */
    public synchronized boolean add(long hash) {
        if (hash == 0) {
            boolean was = hasZero;
            hasZero = true;
            return !was;
        }
        if ((size + 1) * 2 > table.length) {
            long[] bigger = new long[table.length * 2];
            for (long k : table) {
                if (k != 0) {
                    insert(bigger, k);
                }
            }
            table = bigger;
        }
        long[] t = table;
        if (!insert(t, hash)) {
            return false;
        }
        size++;
        table = t; // publishes the write to readers of the volatile field
        return true;
    }

    /**
     * @param hash a subject hash
     * @return whether it was removed
     */
    public synchronized boolean remove(long hash) {
        if (hash == 0) {
            boolean was = hasZero;
            hasZero = false;
            return was;
        }
        long[] rebuilt = new long[table.length];
        boolean found = false;
        for (long k : table) {
            if (k == hash) {
                found = true;
            } else if (k != 0) {
                insert(rebuilt, k);
            }
        }
        if (found) {
            size--;
            table = rebuilt; // removal rebuilds the probe chains: rare (a rule deleted)
        }
        return found;
    }

    private static boolean insert(long[] t, long hash) {
        int mask = t.length - 1;
        int i = slot(hash, mask);
        while (t[i] != 0) {
            if (t[i] == hash) {
                return false;
            }
            i = (i + 1) & mask;
        }
        t[i] = hash;
        return true;
    }

    private static int slot(long hash, int mask) {
        long h = hash * 0x9e3779b97f4a7c15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    /** @return keys in the set */
    public synchronized int size() {
        return size + (hasZero ? 1 : 0);
    }

    /** @return slots of the table (a power of two, at least twice the keys) */
    public int capacity() {
        return table.length;
    }

    /** @return slots probed by every lookup so far */
    public long probes() {
        return probes.sum();
    }

    /** @return lookups so far (of non-zero keys) */
    public long lookups() {
        return lookups.sum();
    }
}
