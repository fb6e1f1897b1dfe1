package bench.kernels;

import java.util.function.LongSupplier;

/**
 * Allocation-heavy work: byte, long and reference arrays of varying sizes (16 B to 1 KiB), small
 * objects, and a {@code StringBuilder} grown from its default capacity; about 45 KB per run. A
 * share of what it allocates is kept in fields, so that escape analysis cannot remove the
 * allocations in one variant and not in another.
 */
public final class MixedAllocation implements LongSupplier {
    private static final int ROUNDS = 64;
    private static final int PIECES = 200;

    private final Object[] kept = new Object[ROUNDS];
    private String keptText;
    private int run;

    @Override
    public long getAsLong() {
        int r = run++;
        long acc = 0;
        for (int i = 0; i < ROUNDS; i++) {
            int n = 16 + ((i * 131 + r) & 1023);
            byte[] bytes = new byte[n];
            bytes[n - 1] = (byte) i;
            long[] longs = new long[(n >> 3) + 1];
            longs[0] = n;
            Object[] refs = new Object[(i & 7) + 2];
            refs[0] = bytes;
            refs[1] = new Cell(i, longs);
            kept[i] = refs;
            acc += bytes.length + longs.length + refs.length;
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < PIECES; i++) {
            text.append(i + r).append(';');
        }
        keptText = text.toString();
        return acc + keptText.length();
    }

    /** A small object holding an array. */
    private static final class Cell {
        final int index;
        final long[] values;

        Cell(int index, long[] values) {
            this.index = index;
            this.values = values;
        }
    }
}
