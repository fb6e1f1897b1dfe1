package bench.kernels;

import java.util.function.LongSupplier;

/** Multiplies two 64x64 matrices of doubles. */
public final class Matrix implements LongSupplier {
    private static final int N = 64;

    private final double[][] a = new double[N][N];
    private final double[][] b = new double[N][N];
    private final double[][] product = new double[N][N];

    /** Fills both factors with fixed values. */
    public Matrix() {
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                a[i][j] = (i * 31 + j) % 17 / 8.0;
                b[i][j] = (j * 29 + i) % 13 / 4.0;
            }
        }
    }

    @Override
    public long getAsLong() {
        for (int i = 0; i < N; i++) {
            double[] row = a[i];
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < N; k++) {
                    s += row[k] * b[k][j];
                }
                product[i][j] = s;
            }
        }
        double trace = 0;
        for (int i = 0; i < N; i++) {
            trace += product[i][i];
        }
        return (long) trace;
    }
}
