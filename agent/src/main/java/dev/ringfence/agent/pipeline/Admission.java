package dev.ringfence.agent.pipeline;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * A route's admission control: at most {@code maxInflight} invocations run at once, at most
 * {@code maxQueue} more wait in FIFO order, and anything beyond is rejected at once.
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>Thread-safe. Every {@link Result#ADMITTED} must be paired with exactly one {@link #release()}
 *       by whoever finishes the invocation (any thread).</li>
 *   <li>Deadlines are instants of the injected clock (by default {@link System#nanoTime()}), compared
 *       by subtraction so they survive the clock wrapping.</li>
 *   <li>Rejection is O(1) and allocates nothing: an uncontended lock, two comparisons and an enum
 *       constant. An admission with a free slot does the same. Queueing reuses the {@code maxQueue}
 *       waiter records made up front (it makes one only while an earlier waiter has been answered
 *       but has not yet woken to return its record).</li>
 *   <li>FIFO: a released slot passes straight to the oldest waiter whose deadline has not passed;
 *       a newcomer never overtakes a waiter.</li>
 *   <li>A waiter leaves the queue when its deadline passes: it wakes itself then, {@link #release()}
 *       skips it, a newcomer finding the queue full evicts expired waiters at its head, and
 *       {@link #expireOverdue()} evicts all of them. Memory is fixed at construction.</li>
 * </ul>
 */
public final class Admission {
    /** How a call to {@link #tryAcquire} ended. */
    public enum Result {
        /** The caller may run; it must call {@link #release()} when done. */
        ADMITTED,
        /** Every slot and every queue place was taken: answer 503 at once. */
        REJECTED,
        /** The deadline passed before a slot came free (or had passed already): answer 504. */
        EXPIRED
    }

    private static final int WAITING = 0;
    private static final int GRANTED = 1;
    private static final int EVICTED = 2;

    /** A queued caller. Reused: it goes back to the free list when its caller returns. */
    private static final class Waiter {
        Waiter prev;
        Waiter next;
        Thread thread;
        long deadline;
        int state;
    }

    private final int maxInflight;
    private final int maxQueue;
    private final LongSupplier clock;
    private final Object lock = new Object();

    private volatile int inflight;
    private volatile int queued;
    /** The pool size: invocations that may run at once now, at most {@code maxInflight}. */
    private volatile int limit;
    /** The integral of in-flight plus queued over time, up to {@link #accountedAt}; under the lock. */
    private long occupancy;
    private long accountedAt;
    private Waiter head;
    private Waiter tail;
    private Waiter free;
    private int freeCount;

    /**
     * @param maxInflight invocations that may run at once (at least 1)
     * @param maxQueue callers that may wait beyond those (0 or more)
     * @param clock the clock deadlines are instants of, in nanoseconds
     */
    public Admission(int maxInflight, int maxQueue, LongSupplier clock) {
        if (maxInflight < 1 || maxQueue < 0) {
            throw new IllegalArgumentException("maxInflight must be at least 1 and maxQueue at least 0");
        }
        this.maxInflight = maxInflight;
        this.maxQueue = maxQueue;
        this.clock = clock;
        this.limit = maxInflight;
        this.accountedAt = clock.getAsLong();
        for (int i = 0; i < maxQueue; i++) {
            Waiter w = new Waiter();
            w.next = free;
            free = w;
        }
        freeCount = maxQueue;
    }

    /**
     * Admits the caller at once, queues it until a slot comes free or its deadline passes, or
     * rejects it at once when every slot and queue place is taken. Blocks only while queued.
     *
     * @param deadlineNanos the instant (of this admission's clock) after which the caller gives up
     * @return {@link Result#ADMITTED}, {@link Result#REJECTED} or {@link Result#EXPIRED}
     * @throws InterruptedException when interrupted while queued (the caller is then not admitted);
     *     if a slot was granted at the same time, the call returns {@code ADMITTED} with the
     *     interrupt status set instead
     */
    public Result tryAcquire(long deadlineNanos) throws InterruptedException {
        Waiter w;
        synchronized (lock) {
            account();
            if (inflight < limit && head == null) {
                inflight++;
                return Result.ADMITTED;
            }
            if (queued == maxQueue) {
                if (maxQueue == 0 || !evictExpiredHead()) {
                    return Result.REJECTED;
                }
            }
            if (deadlineNanos - clock.getAsLong() <= 0) {
                return Result.EXPIRED;
            }
            w = free;
            if (w == null) {
                w = new Waiter();
            } else {
                free = w.next;
                freeCount--;
            }
            w.next = null;
            w.prev = tail;
            if (tail == null) {
                head = w;
            } else {
                tail.next = w;
            }
            tail = w;
            w.thread = Thread.currentThread();
            w.deadline = deadlineNanos;
            w.state = WAITING;
            queued++;
        }
        return await(w);
    }

    private Result await(Waiter w) throws InterruptedException {
        boolean interrupted = false;
        while (true) {
            long remaining;
            synchronized (lock) {
                if (w.state == WAITING) {
                    remaining = w.deadline - clock.getAsLong();
                    if (remaining <= 0 || interrupted) {
                        account();
                        unlink(w);
                        recycle(w);
                        if (interrupted) {
                            throw new InterruptedException("interrupted while queued for admission");
                        }
                        return Result.EXPIRED;
                    }
                } else {
                    boolean granted = w.state == GRANTED;
                    recycle(w);
                    if (granted && interrupted) {
                        Thread.currentThread().interrupt();
                    } else if (interrupted) {
                        throw new InterruptedException("interrupted while queued for admission");
                    }
                    return granted ? Result.ADMITTED : Result.EXPIRED;
                }
            }
            LockSupport.parkNanos(this, remaining);
            interrupted |= Thread.interrupted();
        }
    }

    /**
     * Ends an admitted invocation: its slot passes to the oldest waiter whose deadline has not
     * passed, or becomes free.
     *
     * @throws IllegalStateException when nothing is in flight (a release without an admission)
     */
    public void release() {
        Thread wake = null;
        synchronized (lock) {
            if (inflight == 0) {
                throw new IllegalStateException("release() without an admitted invocation");
            }
            long now = account();
            // after the pool shrank, a released slot above the new size is not passed on
            while (head != null && inflight <= limit) {
                Waiter w = head;
                unlink(w);
                if (w.deadline - now > 0) {
                    w.state = GRANTED;
                    wake = w.thread;
                    break;
                }
                evict(w);
            }
            if (wake == null) {
                inflight--;
            }
        }
        LockSupport.unpark(wake);
    }

    /**
     * Evicts every queued caller whose deadline has passed; they return {@link Result#EXPIRED}.
     * A periodic reaper may call this; O(queued).
     *
     * @return how many were evicted
     */
    public int expireOverdue() {
        int n = 0;
        synchronized (lock) {
            long now = account();
            for (Waiter w = head; w != null;) {
                Waiter next = w.next;
                if (w.deadline - now <= 0) {
                    unlink(w);
                    evict(w);
                    n++;
                }
                w = next;
            }
        }
        return n;
    }

    /** @return invocations admitted and not yet released */
    public int inflight() {
        return inflight;
    }

    /** @return callers waiting in the queue */
    public int queued() {
        return queued;
    }

    /** @return the most invocations that run at once: the {@code maxInflight} setting */
    public int maxInflight() {
        return maxInflight;
    }

    /** @return the pool size: invocations that may run at once now (at most {@link #maxInflight()}) */
    public int limit() {
        return limit;
    }

    /**
     * Resizes the pool. Growing passes the new slots to the oldest waiters at once; shrinking
     * lets the invocations running finish, and passes no slot on until fewer than the new size
     * run.
     *
     * @param size the new size, from 1 to {@link #maxInflight()}
     */
    public void setLimit(int size) {
        if (size < 1 || size > maxInflight) {
            throw new IllegalArgumentException("pool size must be 1 to " + maxInflight + ", not " + size);
        }
        synchronized (lock) {
            long now = account();
            limit = size;
            while (head != null && inflight < limit) {
                Waiter w = head;
                unlink(w);
                if (w.deadline - now > 0) {
                    w.state = GRANTED;
                    inflight++;
                    LockSupport.unpark(w.thread);
                } else {
                    evict(w);
                }
            }
        }
    }

    /**
     * The integral over time of the callers admitted or queued: divided by the pool size and a
     * span of time, the pool's utilisation over that span (above 1 when callers waited).
     *
     * @return caller-nanoseconds since this admission was made
     */
    public long occupancyNanos() {
        synchronized (lock) {
            account();
            return occupancy;
        }
    }

    /** Adds the occupancy since the last change; holds the lock. @return the clock's reading */
    private long account() {
        long now = clock.getAsLong();
        occupancy += (long) (inflight + queued) * (now - accountedAt);
        accountedAt = now;
        return now;
    }

    /** @return the most callers that wait */
    public int maxQueue() {
        return maxQueue;
    }

    /** Evicts expired waiters at the head; amortised O(1) since each waiter is evicted once. Holds the lock. */
    private boolean evictExpiredHead() {
        boolean any = false;
        long now = clock.getAsLong();
        while (head != null && head.deadline - now <= 0) {
            Waiter w = head;
            unlink(w);
            evict(w);
            any = true;
        }
        return any;
    }

    /** Holds the lock; {@code w} is already unlinked. */
    private void evict(Waiter w) {
        w.state = EVICTED;
        LockSupport.unpark(w.thread);
    }

    /** Holds the lock. */
    private void unlink(Waiter w) {
        if (w.prev == null) {
            head = w.next;
        } else {
            w.prev.next = w.next;
        }
        if (w.next == null) {
            tail = w.prev;
        } else {
            w.next.prev = w.prev;
        }
        w.prev = null;
        w.next = null;
        queued--;
    }

    /** Holds the lock; the waiter's caller is returning. Keeps at most {@code maxQueue} spare records. */
    private void recycle(Waiter w) {
        w.thread = null;
        if (freeCount < maxQueue) {
            w.next = free;
            free = w;
            freeCount++;
        }
    }
}
