package dev.ringfence.agent.pipeline;

import java.util.function.LongSupplier;

/** A clock of nanoseconds that moves only when a test moves it; safe to read from other threads. */
final class ManualClock implements LongSupplier {
    private volatile long now;

    ManualClock(long start) {
        this.now = start;
    }

    @Override
    public long getAsLong() {
        return now;
    }

    void advance(long nanos) {
        now += nanos;
    }

    void set(long nanos) {
        now = nanos;
    }
}
