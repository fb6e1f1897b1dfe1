package bench.kernels;

import java.util.function.LongSupplier;

/** Plain doubly recursive Fibonacci: about 57,000 calls per run. */
public final class Recursion implements LongSupplier {
    private int depth = 22;

    @Override
    public long getAsLong() {
        return fib(depth);
    }

    private static int fib(int n) {
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }
}
