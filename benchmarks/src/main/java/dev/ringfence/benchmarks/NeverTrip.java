package dev.ringfence.benchmarks;

import dev.ringfence.api.Budgets;
import java.util.concurrent.TimeUnit;

/**
 * Budgets that are switched on, so that the meter's slow path reads the clocks and counters it
 * reads in production, but so large that no benchmark run ever trips them.
 */
final class NeverTrip {
    private static final long DAY = TimeUnit.DAYS.toNanos(1);
    private static final long PETABYTE = 1L << 50;

    private NeverTrip() {
    }

    /** @return CPU, allocation and wall-clock budgets on; fuel off */
    static Budgets cpuAllocWall() {
        return new Budgets(DAY, DAY, 0, PETABYTE);
    }

    /** @return only the allocation budget on */
    static Budgets allocOnly() {
        return new Budgets(0, 0, 0, PETABYTE);
    }
}
