package bench.kernels;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/** Puts 1000 boxed keys into a fresh {@code HashMap} and reads them back. */
public final class Maps implements LongSupplier {
    private static final int KEYS = 1000;

    @Override
    public long getAsLong() {
        Map<Integer, Integer> map = new HashMap<>();
        for (int i = 0; i < KEYS; i++) {
            map.put(i * 31, i);
        }
        long sum = 0;
        for (int i = 0; i < KEYS; i++) {
            sum += map.get(i * 31);
        }
        return sum + map.size();
    }
}
