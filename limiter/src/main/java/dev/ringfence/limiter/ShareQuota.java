package dev.ringfence.limiter;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The share of the machine that the invocations of one route use together — CPU time, bytes
 * allocated, or both — enforced by pausing them: the way a cgroup's CPU bandwidth limit throttles
 * a container, but at the instrumented probes of the handler's own code.
 *
 * <p>Time is cut into periods of {@value #PERIOD_MILLIS} ms. What the invocations use is charged
 * as it is sampled (by the caller or the watchdog, every few milliseconds) and when each
 * invocation ends. Once the charges of a period reach a resource's quota (CPU: {@code cores ×
 * period}; allocation: {@code bytes per second × period}), the quota is <em>throttled</em>: until
 * the debt is paid off, every invocation on it pauses at its next back-edge or method entry and
 * every new one pauses before it starts. Debt carries over: a period pays off one quota's worth,
 * so over any stretch of time the invocations use at most about their share, however many
 * threads they run on. A single burst larger than a period's quota (one call allocating 64 MB on
 * a 16 MB/s share) is paid off by pausing for as many periods as it takes. Pausing costs no CPU
 * (the thread parks) and allocates nothing; the wall-clock deadline still runs and still ends a
 * paused invocation.
 *
 * <p>Thread-safe. Invocations of a quota that is not throttled pay one volatile read at their
 * start; their probes pay nothing, since the guard is armed only for invocations running while
 * the quota is throttled. Code inside the JDK is not paused until it returns to the handler's
 * code (it is charged all the same).
 */
public final class ShareQuota {
    /** The length of one accounting period. */
    public static final long PERIOD_MILLIS = 10;
    private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS);
    /**
     * The longest single park while throttled. A throttled thread parks until the debt is paid
     * (a trip interrupts it, which ends the park at once); the bound only caps a park that no
     * one would otherwise end early. Short parks would wake every paused thread a thousand times
     * a second: scheduling noise for the very routes the share protects.
     */
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final double cores;
    private final long bytesPerSecond;
    private final Budget cpu;
    private final Budget alloc;
    /** The instant until which the quota is throttled, or 0 while it is not. */
    private volatile long throttledUntil;
    private final LongAdder pausedNanos = new LongAdder();
    private final LongAdder throttles = new LongAdder();

    /** One resource's account: what was used in the current period, debt included. Guarded by the quota. */
    private static final class Budget {
        final long perPeriod;
        long periodStart;
        long used;

        Budget(long perPeriod, long start) {
            this.perPeriod = perPeriod;
            this.periodStart = start;
        }

        /** Moves to the current period, paying one quota off the debt per period passed. */
        void roll(long now) {
            long passed = (now - periodStart) / PERIOD_NANOS;
            if (passed <= 0) {
                return;
            }
            periodStart += passed * PERIOD_NANOS;
            used = passed > used / perPeriod ? 0 : used - passed * perPeriod;
        }

        /** @return the instant until which this resource is throttled, or 0 */
        long throttledUntil() {
            return used >= perPeriod ? periodStart + PERIOD_NANOS * (used / perPeriod) : 0;
        }
    }

    private ShareQuota(double cores, long bytesPerSecond, long start) {
        this.cores = cores;
        this.bytesPerSecond = bytesPerSecond;
        this.cpu = cores > 0 ? new Budget(Math.max(1, (long) (cores * PERIOD_NANOS)), start) : null;
        this.alloc = bytesPerSecond > 0 ? new Budget(Math.max(1, bytesPerSecond / (1000 / PERIOD_MILLIS)), start) : null;
    }

    /**
     * @param cores the CPU share, in cores ({@code 0.5} is half of one core's time), 0 for none
     * @param bytesPerSecond the allocation share, bytes per second, 0 for none
     * @return a quota of those shares
     * @throws IllegalArgumentException when a share is negative or not a number, or both are 0
     */
    public static ShareQuota of(double cores, long bytesPerSecond) {
        if (!(cores >= 0) || Double.isInfinite(cores) || bytesPerSecond < 0 || (cores == 0 && bytesPerSecond == 0)) {
            throw new IllegalArgumentException("a share needs 0 or more cores and 0 or more bytes per second, not both 0: "
                    + cores + " cores, " + bytesPerSecond + " bytes/s");
        }
        return new ShareQuota(cores, bytesPerSecond, System.nanoTime());
    }

    /** Like {@link #of}, with the first period starting at {@code startNanos} (for tests on given instants). */
    static ShareQuota startingAt(double cores, long bytesPerSecond, long startNanos) {
        of(cores, bytesPerSecond); // the same checks
        return new ShareQuota(cores, bytesPerSecond, startNanos);
    }

    /** @return the CPU share, in cores; 0 for none */
    public double cores() {
        return cores;
    }

    /** @return the allocation share, in bytes per second; 0 for none */
    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    /** @return whether CPU time is charged */
    boolean chargesCpu() {
        return cpu != null;
    }

    /** @return whether allocated bytes are charged */
    boolean chargesAlloc() {
        return alloc != null;
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
     * Charges what an invocation used since its last charge.
     *
     * @param cpuNanos CPU time (ignored when the quota has no CPU share)
     * @param bytes bytes allocated (ignored when it has no allocation share)
     * @param now {@link System#nanoTime()}
     * @return true when the quota is throttled now
     */
    boolean charge(long cpuNanos, long bytes, long now) {
        boolean chargeCpu = cpu != null && cpuNanos > 0;
        boolean chargeAlloc = alloc != null && bytes > 0;
        if (!chargeCpu && !chargeAlloc) {
            return throttled(now);
        }
        synchronized (this) {
            boolean was = throttled(now);
            long until = 0;
            if (cpu != null) {
                cpu.roll(now);
                cpu.used += chargeCpu ? cpuNanos : 0;
                until = cpu.throttledUntil();
            }
            if (alloc != null) {
                alloc.roll(now);
                alloc.used += chargeAlloc ? bytes : 0;
                until = Math.max(until, alloc.throttledUntil());
            }
            throttledUntil = until;
            if (!was && throttled(now)) {
                throttles.increment();
            }
        }
        return throttled(now);
    }

    /** @return false when no invocation needs to look closer: the quota has not been throttled since its last charge */
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
