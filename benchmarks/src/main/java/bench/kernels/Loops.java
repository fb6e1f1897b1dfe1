package bench.kernels;

import java.util.function.LongSupplier;

/** Sum and xor over an int array, walked as rows and columns by two nested loops. */
public final class Loops implements LongSupplier {
    private static final int ROWS = 64;
    private static final int COLUMNS = 64;

    private final int[] cells = new int[ROWS * COLUMNS];

    /** Fills the array with a fixed pseudo-random sequence. */
    public Loops() {
        int s = 12_345;
        for (int i = 0; i < cells.length; i++) {
            s = s * 1_103_515_245 + 12_345;
            cells[i] = s >>> 8;
        }
    }

    @Override
    public long getAsLong() {
        long sum = 0;
        int xor = 0;
        for (int r = 0; r < ROWS; r++) {
            int base = r * COLUMNS;
            for (int c = 0; c < COLUMNS; c++) {
                int v = cells[base + c];
                sum += v;
                xor ^= v + r;
            }
        }
        return sum ^ xor;
    }
}
