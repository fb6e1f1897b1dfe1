package dev.ringfence.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.pipeline.Admission.Result;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdmissionTest {
    /** Deadlines are instants of the manual clock, but a waiter parks for real for what is left: about 17 minutes. */
    private static final long FAR = 1_000_000_000_000L;
    private static final long NEAR = FAR / 2;

    private final ManualClock clock = new ManualClock(0);
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(30, TimeUnit.SECONDS));
    }

    /** Starts a caller on its own thread and returns once it is queued. */
    private Future<Result> queue(Admission a, long deadline) {
        int before = a.queued();
        Future<Result> f = threads.submit(() -> a.tryAcquire(deadline));
        awaitValue(a::queued, before + 1);
        return f;
    }

    private static void awaitValue(IntSupplier value, int expected) {
        while (value.getAsInt() != expected) {
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    @Test
    void shouldAdmitUpToMaxInflightAtOnce() throws Exception {
        Admission a = new Admission(3, 0, clock);
        for (int i = 0; i < 3; i++) {
            assertEquals(Result.ADMITTED, a.tryAcquire(FAR));
        }
        assertEquals(3, a.inflight());
        assertEquals(0, a.queued());
    }

    @Test
    void shouldRejectAtOnceWhenSlotsAndQueueAreFull() throws Exception {
        Admission a = new Admission(1, 1, clock);
        assertEquals(Result.ADMITTED, a.tryAcquire(FAR));
        Future<Result> waiting = queue(a, FAR);
        assertEquals(Result.REJECTED, a.tryAcquire(FAR));
        assertEquals(1, a.inflight());
        assertEquals(1, a.queued());
        a.release();
        assertEquals(Result.ADMITTED, waiting.get());
        assertEquals(1, a.inflight(), "the slot passed straight to the waiter");
        assertEquals(0, a.queued());
    }

    @Test
    void shouldRejectAtOnceWithNoQueue() throws Exception {
        Admission a = new Admission(1, 0, clock);
        assertEquals(Result.ADMITTED, a.tryAcquire(FAR));
        assertEquals(Result.REJECTED, a.tryAcquire(FAR));
        a.release();
        assertEquals(Result.ADMITTED, a.tryAcquire(FAR));
    }

    @Test
    void shouldHandSlotsToWaitersInArrivalOrder() throws Exception {
        Admission a = new Admission(1, 3, clock);
        assertEquals(Result.ADMITTED, a.tryAcquire(FAR));
        ConcurrentLinkedQueue<String> order = new ConcurrentLinkedQueue<>();
        List<Future<Result>> waiters = new ArrayList<>();
        for (String name : List.of("first", "second", "third")) {
            int before = a.queued();
            waiters.add(threads.submit(() -> {
                Result r = a.tryAcquire(FAR);
                order.add(name);
                return r;
            }));
            awaitValue(a::queued, before + 1);
        }
        for (int i = 0; i < 3; i++) {
            a.release();
            waiters.get(i).get();
            assertEquals(i + 1, order.size(), "one release admits exactly one waiter");
        }
        assertEquals(List.of("first", "second", "third"), List.copyOf(order));
        a.release();
        assertEquals(0, a.inflight());
    }

    @Test
    void shouldNotLetANewcomerOvertakeAWaiter() throws Exception {
        Admission a = new Admission(1, 2, clock);
        assertEquals(Result.ADMITTED, a.tryAcquire(FAR));
        Future<Result> waiter = queue(a, FAR);
        a.release();
        assertEquals(Result.ADMITTED, waiter.get());
        Future<Result> newcomer = queue(a, FAR);
        assertEquals(1, a.queued(), "the slot went to the waiter, so the newcomer queues");
        a.release();
        assertEquals(Result.ADMITTED, newcomer.get());
    }

    @Test
    void shouldAnswerExpiredWithoutQueueingWhenTheDeadlineHasPassed() throws Exception {
        Admission a = new Admission(1, 1, clock);
        clock.set(500);
        assertEquals(Result.ADMITTED, a.tryAcquire(400), "a free slot admits whatever the deadline: the pipeline times it out");
        assertEquals(Result.EXPIRED, a.tryAcquire(500));
        assertEquals(0, a.queued());
    }

    @Test
    void shouldEvictOverdueWaiters() throws Exception {
        Admission a = new Admission(1, 3, clock);
        assertEquals(Result.ADMITTED, a.tryAcquire(FAR));
        Future<Result> early = queue(a, NEAR);
        Future<Result> late = queue(a, FAR);
        clock.set(NEAR);
        assertEquals(1, a.expireOverdue());
        assertEquals(Result.EXPIRED, early.get());
        assertEquals(1, a.queued());
        assertEquals(1, a.inflight(), "an expired waiter never held a slot");
        a.release();
        assertEquals(Result.ADMITTED, late.get());
    }

    @Test
    void shouldSkipExpiredWaitersWhenPassingOnASlot() throws Exception {
        Admission a = new Admission(1, 2, clock);
        assertEquals(Result.ADMITTED, a.tryAcquire(FAR));
        Future<Result> early = queue(a, NEAR);
        Future<Result> late = queue(a, FAR);
        clock.set(NEAR + 1);
        a.release();
        assertEquals(Result.EXPIRED, early.get());
        assertEquals(Result.ADMITTED, late.get());
        assertEquals(1, a.inflight());
    }

    @Test
    void shouldMakeRoomForANewcomerByEvictingExpiredWaitersWhenTheQueueIsFull() throws Exception {
        Admission a = new Admission(1, 1, clock);
        assertEquals(Result.ADMITTED, a.tryAcquire(FAR));
        Future<Result> stale = queue(a, NEAR);
        clock.set(NEAR + 1);
        Future<Result> fresh = threads.submit(() -> a.tryAcquire(FAR));
        assertEquals(Result.EXPIRED, stale.get());
        awaitValue(a::queued, 1);
        a.release();
        assertEquals(Result.ADMITTED, fresh.get());
    }

    @Test
    void shouldLeaveTheQueueByItselfWhenItsDeadlinePasses() throws Exception {
        AtomicLong ticking = new AtomicLong();
        Admission a = new Admission(1, 1, () -> ticking.addAndGet(1_000_000)); // each reading is 1 ms later
        assertEquals(Result.ADMITTED, a.tryAcquire(Long.MAX_VALUE));
        assertEquals(Result.EXPIRED, a.tryAcquire(ticking.get() + 20_000_000));
        assertEquals(0, a.queued());
        assertEquals(1, a.inflight());
    }

    @Test
    void shouldLeaveTheQueueWhenInterrupted() throws Exception {
        Admission a = new Admission(1, 1, clock);
        assertEquals(Result.ADMITTED, a.tryAcquire(FAR));
        CompletableFuture<Thread> self = new CompletableFuture<>();
        Future<Throwable> waiter = threads.submit(() -> {
            self.complete(Thread.currentThread());
            try {
                a.tryAcquire(FAR);
                return null;
            } catch (InterruptedException e) {
                return e;
            }
        });
        awaitValue(a::queued, 1);
        self.get().interrupt();
        assertTrue(waiter.get() instanceof InterruptedException);
        assertEquals(0, a.queued());
        assertEquals(1, a.inflight());
    }

    @Test
    void shouldRefuseAReleaseWithoutAnAdmission() {
        Admission a = new Admission(1, 1, clock);
        assertThrows(IllegalStateException.class, a::release);
    }

    @Test
    void shouldRejectWithoutAllocating() throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Admission a = new Admission(1, 0, clock);
        assertEquals(Result.ADMITTED, a.tryAcquire(FAR));
        long tid = Thread.currentThread().getId();
        int rejected = 0;
        for (int i = 0; i < 20_000; i++) {
            rejected += a.tryAcquire(FAR) == Result.REJECTED ? 1 : 0;
        }
        long before = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 100_000; i++) {
            rejected += a.tryAcquire(FAR) == Result.REJECTED ? 1 : 0;
        }
        long allocated = mx.getThreadAllocatedBytes(tid) - before;
        assertEquals(120_000, rejected);
        assertTrue(allocated < 10_000, "100000 rejections allocated " + allocated + " bytes");
    }

    @Test
    void shouldStayWithinItsBoundsUnderContention() throws Exception {
        int maxInflight = 3;
        int maxQueue = 4;
        Admission a = new Admission(maxInflight, maxQueue, System::nanoTime);
        AtomicInteger running = new AtomicInteger();
        AtomicBoolean overrun = new AtomicBoolean();
        AtomicInteger[] results = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 12; t++) {
            workers.add(threads.submit(() -> {
                for (int i = 0; i < 2_000; i++) {
                    long deadline = System.nanoTime() + ThreadLocalRandom.current().nextLong(10_000, 2_000_000);
                    Result r = a.tryAcquire(deadline);
                    results[r.ordinal()].incrementAndGet();
                    if (a.queued() > maxQueue || a.inflight() > maxInflight) {
                        overrun.set(true);
                    }
                    if (r == Result.ADMITTED) {
                        if (running.incrementAndGet() > maxInflight) {
                            overrun.set(true);
                        }
                        Thread.yield();
                        running.decrementAndGet();
                        a.release();
                    }
                }
                return null;
            }));
        }
        for (Future<?> w : workers) {
            try {
                w.get();
            } catch (ExecutionException e) {
                throw new AssertionError(e.getCause());
            }
        }
        assertEquals(false, overrun.get(), "more running or queued than allowed");
        assertEquals(24_000, results[0].get() + results[1].get() + results[2].get());
        assertTrue(results[Result.ADMITTED.ordinal()].get() > 0);
        assertEquals(0, a.inflight());
        assertEquals(0, a.queued());
    }

    @Test
    void shouldPassNewSlotsToWaitersWhenThePoolGrowsAndHoldThemBackWhenItShrinks() throws Exception {
        Admission a = new Admission(4, 4, clock);
        a.setLimit(1);
        assertEquals(Result.ADMITTED, a.tryAcquire(FAR));
        Future<Result> second = queue(a, FAR);
        Future<Result> third = queue(a, FAR);
        a.setLimit(3);
        assertEquals(Result.ADMITTED, second.get());
        assertEquals(Result.ADMITTED, third.get());
        assertEquals(3, a.inflight());
        a.setLimit(1); // the three running finish; no slot is passed on until fewer than one run
        Future<Result> fourth = queue(a, FAR);
        a.release();
        a.release();
        assertEquals(1, a.queued(), "two released above the new size: nothing passed on");
        a.release();
        assertEquals(Result.ADMITTED, fourth.get());
        assertEquals(1, a.inflight());
        assertThrows(IllegalArgumentException.class, () -> a.setLimit(5));
        assertThrows(IllegalArgumentException.class, () -> a.setLimit(0));
    }

    @Test
    void shouldIntegrateTheCallersRunningAndQueuedOverTime() throws Exception {
        Admission a = new Admission(2, 2, clock);
        a.setLimit(1);
        long start = a.occupancyNanos();
        assertEquals(Result.ADMITTED, a.tryAcquire(FAR));
        clock.advance(100); // one running for 100 ns
        Future<Result> queued = queue(a, FAR);
        clock.advance(50); // one running and one queued for 50 ns
        a.release();
        assertEquals(Result.ADMITTED, queued.get());
        clock.advance(10); // one running for 10 ns
        a.release();
        clock.advance(1_000); // none
        assertEquals(100 + 2 * 50 + 10, a.occupancyNanos() - start);
    }
}
