package dev.ringfence.limiter;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Does for invocations run on their caller's own thread ({@link MeteredExecutor#runHere}) what a
 * caller does for an invocation it handed to a worker: passes the deadline, samples CPU time and
 * allocated bytes, watches guarded code closely near its limits, interrupts a tripped thread and,
 * once the grace has passed, abandons it and hands the answer to the invocation's callback.
 *
 * <p>A trip is answered at once: when the invocation's thread is still in its task
 * {@link #ANSWER_NANOS} after the trip (a deadline passed while it sat in JDK code, say), the
 * watchdog claims the answer and hands it to {@code onAnswer} on another thread. The thread is
 * abandoned only when it is still there a grace after the trip: counted, and reported to
 * {@code onAbandon}. A thread that comes back within the grace was late, not lost.
 *
 * <p>One daemon thread serves every such invocation of an executor. It sleeps while none runs;
 * otherwise it wakes when the earliest of them needs a look, and at least every
 * {@link MeteredExecutor#SAMPLE_NANOS}. An invocation that ends before its first look costs the
 * watchdog nothing. A registration wakes it only when the new invocation needs a look sooner
 * than the watchdog planned to wake.
 *
 * <p>Thread-safe. The abandonment callback runs on {@code answers}, never on the watchdog's
 * thread, so a callback that blocks (writing to a slow client) delays no other invocation.
 */
final class Watchdog implements Runnable {
    /**
     * How long after a trip the watchdog answers for an invocation whose thread is still in its
     * task: well-behaved code has unwound long before (guarded code in microseconds).
     */
    static final long ANSWER_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(1);

    private final Set<Watched<?>> running = ConcurrentHashMap.newKeySet();
    private final long graceNanos;
    private final Executor answers;
    private final Runnable onAbandoned;
    private final Thread thread;
    /** When the watchdog will next look; {@link Long#MAX_VALUE} while it sleeps with nothing to watch. */
    private volatile long wakeAt = Long.MAX_VALUE;

    /** One invocation being watched. */
    static final class Watched<T> {
        final MeteredExecutor.Job<T> job;
        final SandboxThread thread;
        final long budgetCpu;
        final long budgetAlloc;
        final long wallNanos;
        final long start;
        final long deadline;
        final Consumer<RunResult<T>> onAnswer;
        final Consumer<RunResult<T>> onAbandon;
        /** Read and written by the watchdog's thread only. */
        long nextSample;
        /** Whether the watchdog answered for the invocation; watchdog's thread only. */
        boolean answered;

        Watched(MeteredExecutor.Job<T> job, SandboxThread thread, Budgets budgets, long start,
                Consumer<RunResult<T>> onAnswer, Consumer<RunResult<T>> onAbandon) {
            this.job = job;
            this.thread = thread;
            this.budgetCpu = budgets.cpuNanos();
            this.budgetAlloc = budgets.allocBytes();
            this.wallNanos = budgets.wallNanos();
            this.start = start;
            this.deadline = budgets.wallNanos() == 0 ? Long.MAX_VALUE : start + budgets.wallNanos();
            this.onAnswer = onAnswer;
            this.onAbandon = onAbandon;
            this.nextSample = start + MeteredExecutor.SAMPLE_NANOS;
        }

        /** @return when this invocation first needs a look */
        long firstLook() {
            long due = Long.MAX_VALUE;
            if (deadline != Long.MAX_VALUE) {
                due = job.meter.counted() ? deadline : deadline - MeteredExecutor.WATCH_AHEAD_NANOS;
            }
            if (budgetCpu > 0 || budgetAlloc > 0 || job.meter.quota() != null) {
                due = Math.min(due, nextSample);
            }
            return due;
        }
    }

    /**
     * @param name the watchdog thread's name
     * @param graceNanos how long a tripped invocation gets to unwind before it is abandoned
     * @param answers where abandonment callbacks run
     * @param onAbandoned counts an abandoned thread
     */
    Watchdog(String name, long graceNanos, Executor answers, Runnable onAbandoned) {
        this.graceNanos = graceNanos;
        this.answers = answers;
        this.onAbandoned = onAbandoned;
        this.thread = new Thread(this, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts watching an invocation about to run on {@code w.thread}. */
    void watch(Watched<?> w) {
        running.add(w);
        if (w.firstLook() < wakeAt) {
            LockSupport.unpark(thread);
        }
    }

    /** Stops watching an invocation that ended (or was abandoned). */
    void unwatch(Watched<?> w) {
        running.remove(w);
    }

    @Override
    public void run() {
        while (true) {
            if (running.isEmpty()) {
                wakeAt = Long.MAX_VALUE;
                if (running.isEmpty()) {
                    LockSupport.park(this);
                }
                continue;
            }
            long now = System.nanoTime();
            long next = now + MeteredExecutor.SAMPLE_NANOS;
            for (Watched<?> w : running) {
                try {
                    next = Math.min(next, look(w, now));
                } catch (RuntimeException | Error e) {
                    // a failed reading must not stop the watch of every other invocation
                    next = Math.min(next, now + MeteredExecutor.MIN_SAMPLE_NANOS);
                }
            }
            next = Math.max(next, now + MeteredExecutor.MIN_SAMPLE_NANOS);
            wakeAt = next;
            LockSupport.parkNanos(this, next - now);
        }
    }

    /** @return when {@code w} next needs a look */
    private <T> long look(Watched<T> w, long now) {
        MeteredExecutor.Job<T> job = w.job;
        Meter m = job.meter;
        if (job.done.getCount() == 0) {
            return Long.MAX_VALUE; // ended; its thread unwatches it
        }
        boolean guarded = !m.counted();
        if (guarded && !m.tripped() && w.deadline - now < MeteredExecutor.WATCH_AHEAD_NANOS) {
            m.watchClosely();
        }
        if (!m.tripped() && now - w.deadline >= 0) {
            m.trip(Outcome.TIMEOUT, "wall-clock deadline of " + Meter.ms(w.wallNanos) + " passed");
        }
        boolean sample = w.budgetCpu > 0 || w.budgetAlloc > 0 || m.quota() != null;
        if (!m.tripped() && sample && job.started && now - w.nextSample >= 0) {
            long tid = w.thread.getId();
            long next = MeteredExecutor.SAMPLE_NANOS;
            ShareQuota q = m.quota();
            long cpu = w.budgetCpu > 0 || (q != null && q.chargesCpu()) ? ThreadClock.cpuNanos(tid) - m.cpuBase() : 0;
            if (q != null && m.chargeQuota(cpu, q.chargesAlloc() ? ThreadClock.allocatedBytes(tid) - m.allocBase() : 0,
                    now)) {
                m.armForQuota(); // its next probe pauses it
            }
            if (w.budgetCpu > 0) {
                if (cpu > w.budgetCpu) {
                    m.trip(Outcome.CPU_EXCEEDED, "used " + Meter.ms(cpu) + " of CPU, budget " + Meter.ms(w.budgetCpu));
                } else if (guarded && w.budgetCpu - cpu < MeteredExecutor.WATCH_AHEAD_NANOS) {
                    m.watchClosely();
                }
                next = Math.max(MeteredExecutor.MIN_SAMPLE_NANOS, Math.min(next,
                        w.budgetCpu - cpu + MeteredExecutor.MIN_SAMPLE_NANOS));
            }
            if (!m.tripped() && w.budgetAlloc > 0) {
                long alloc = ThreadClock.allocatedBytes(tid) - m.allocBase();
                if (alloc > w.budgetAlloc) {
                    m.trip(Outcome.ALLOC_EXCEEDED, "allocated " + alloc + " bytes, budget " + w.budgetAlloc);
                }
            }
            w.nextSample = now + next;
        }
        if (m.tripped()) {
            job.interruptIfRunning(w.thread);
            long at = m.tripNanos(); // zero for a moment after a trip by the handler's own thread
            if (at == 0) {
                return now + MeteredExecutor.MIN_SAMPLE_NANOS;
            }
            if (!w.answered && now - at >= ANSWER_NANOS) {
                if (!job.claim()) {
                    return Long.MAX_VALUE; // it ended just now: its own thread answers
                }
                w.answered = true;
                RunResult<T> r = result(w, now, "", false);
                answers.execute(() -> w.onAnswer.accept(r));
            }
            if (now - at >= graceNanos) {
                abandon(w, now);
                return Long.MAX_VALUE;
            }
            long nextStep = w.answered ? at + graceNanos : at + ANSWER_NANOS;
            return Math.min(now + MeteredExecutor.SAMPLE_NANOS, nextStep);
        }
        long due = now + MeteredExecutor.TRIP_CHECK_NANOS; // a trip the handler's own thread made
        if (w.deadline != Long.MAX_VALUE) {
            due = Math.min(due, guarded && !m.watched() ? w.deadline - MeteredExecutor.WATCH_AHEAD_NANOS : w.deadline);
        }
        if (sample) {
            due = Math.min(due, w.nextSample);
        }
        return due;
    }

    /** The grace has passed and the thread is still in the task (it was answered for already). */
    private <T> void abandon(Watched<T> w, long now) {
        if (w.job.done.getCount() == 0) {
            return; // it left just now
        }
        running.remove(w);
        onAbandoned.run();
        RunResult<T> r = result(w, now, " (the handler thread did not stop and was abandoned)", true);
        answers.execute(() -> w.onAbandon.accept(r));
    }

    private static <T> RunResult<T> result(Watched<T> w, long now, String suffix, boolean abandoned) {
        MeteredExecutor.Job<T> job = w.job;
        Meter m = job.meter;
        long tid = w.thread.getId();
        long cpu = job.started ? ThreadClock.cpuNanos(tid) - m.cpuBase() : 0;
        long alloc = job.started ? ThreadClock.allocatedBytes(tid) - m.allocBase() : 0;
        return new RunResult<>(m.tripOutcome(), null, m.tripMessage() + suffix, null, now - w.start, cpu, alloc,
                m.fuelUsed(), abandoned);
    }
}
