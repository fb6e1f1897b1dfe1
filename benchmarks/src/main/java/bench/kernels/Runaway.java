package bench.kernels;

import java.util.function.LongSupplier;

/** A loop that does not end on its own: a full-period LCG that never comes back to zero in time. */
public final class Runaway implements LongSupplier {
    @Override
    public long getAsLong() {
        long x = 1;
        while (true) {
            x = x * 6_364_136_223_846_793_005L + 1_442_695_040_888_963_407L;
            if (x == 0) {
                return x;
            }
        }
    }
}
