package dev.ringfence.limiter;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * A share of the machine's CPU that the invocations of one route use together, enforced by
 * pausing them: the way a cgroup's CPU bandwidth limit throttles a container, but at the
 * instrumented probes of the handler's own code.
 *
 * <p>Time is cut into periods of {@value #PERIOD_MILLIS} ms. The CPU time the invocations use
 * is charged as it is sampled (by the caller or the watchdog, every few milliseconds) and when
 * each invocation ends. Once the charges of a period reach the quota ({@code cores × period}),
 * the quota is <em>throttled</em>: until the debt is paid off, every invocation on it pauses at
 * its next back-edge or method entry and every new one pauses before it starts. Debt carries over:
 * a period pays off one quota's worth, so over any stretch of time the invocations use at most
 * about the share, however many threads they run on. Pausing costs no CPU (the thread parks);
 * the wall-clock deadline still runs and still ends a paused invocation.
 *
 * <p>Thread-safe. A route's invocations that are not throttled pay one volatile read at their
 * start; their probes pay nothing, since the guard is armed only for invocations running while
 * the quota is throttled. Code inside the JDK is not paused until it returns to the handler's
 * code (it is charged all the same).
 */
public final class CpuQuota {
    /** The length of one accounting period. */
    public static final long PERIOD_MILLIS = 10;
    private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS);
    /** The longest single park while throttled, so an unthrottled quota lets its threads go soon. */
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final double cores;
    private final long quotaNanos;
    private long periodStart; // guarded by this
    private long used; // guarded by this
    /** The instant until which the quota is throttled, or 0 while it is not. */
    private volatile long throttledUntil;
    private final LongAdder pausedNanos = new LongAdder();
    private final LongAdder throttles = new LongAdder();

    private CpuQuota(double cores) {
        this.cores = cores;
        this.quotaNanos = Math.max(1, (long) (cores * PERIOD_NANOS));
        this.periodStart = System.nanoTime();
    }

    /**
     * @param cores the share, in cores: {@code 0.5} is half of one core's time; more than 0
     * @return a quota of that share
     * @throws IllegalArgumentException when {@code cores} is not a positive number
     */
    public static CpuQuota of(double cores) {
        if (!(cores > 0) || Double.isInfinite(cores)) {
            throw new IllegalArgumentException("a CPU share must be a positive number of cores, not " + cores);
        }
        return new CpuQuota(cores);
    }

    /** @return the share, in cores */
    public double cores() {
        return cores;
    }

    /** @return nanoseconds invocations have spent paused by this quota */
    public long pausedNanos() {
        return pausedNanos.sum();
    }

    /** @return how many times the quota became throttled */
    public long throttles() {
        return throttles.sum();
    }

    /**
     * Charges CPU time used by an invocation on this quota.
     *
     * @param cpuNanos CPU time used since the last charge of the same invocation
     * @param now {@link System#nanoTime()}
     * @return true when the quota is throttled now
     */
    boolean charge(long cpuNanos, long now) {
        if (cpuNanos <= 0) {
            return throttled(now);
        }
        synchronized (this) {
            roll(now);
            used += cpuNanos;
            if (used >= quotaNanos) {
                long until = periodStart + PERIOD_NANOS * (used / quotaNanos);
                if (!throttled(now)) {
                    throttles.increment();
                }
                throttledUntil = until;
            }
        }
        return throttled(now);
    }

    /** Moves to the current period, paying one quota off the debt per period passed. Holds the lock. */
    private void roll(long now) {
        long passed = (now - periodStart) / PERIOD_NANOS;
        if (passed <= 0) {
            return;
        }
        periodStart += passed * PERIOD_NANOS;
        used = passed > used / quotaNanos ? 0 : used - passed * quotaNanos;
        if (used < quotaNanos) {
            throttledUntil = 0;
        }
    }

    /** @return false when no invocation needs to look closer: the quota has not been throttled since its last roll */
    boolean mayBeThrottled() {
        return throttledUntil != 0;
    }

    /**
     * @param now {@link System#nanoTime()}
     * @return whether invocations on this quota must pause now
     */
    boolean throttled(long now) {
        long until = throttledUntil;
        return until != 0 && now - until < 0;
    }

    /**
     * Pauses the current thread while the quota is throttled, or until its meter trips (the
     * caller then throws the abort). Called on the invocation's own thread from a probe or
     * before its handler code starts, outside any privileged window.
     *
     * @param m the current invocation's meter
     */
    void pause(Meter m) {
        long now = System.nanoTime();
        if (!throttled(now)) {
            return;
        }
        long from = now;
        while (!m.tripped()) {
            long until = throttledUntil;
            if (until == 0 || now - until >= 0) {
                break;
            }
            LockSupport.parkNanos(this, Math.min(MAX_PARK_NANOS, until - now));
            now = System.nanoTime();
        }
        pausedNanos.add(now - from);
    }
}
