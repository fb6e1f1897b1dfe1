package dev.ringfence.limiter;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Runs tasks (handler calls) on {@link SandboxThread}s under a {@link Meter}, and answers how each
 * ended even when the handler's thread never returns.
 *
 * <p>Assumptions and guarantees: {@link #run} may be called from many threads at once; each call
 * blocks its caller until the task ends, a budget trips (then at most the grace longer), or the
 * deadline passes. The caller itself enforces the deadline and samples the worker's CPU time, so
 * a task stuck inside JDK code still ends on time; the worker is then abandoned (counted, never
 * reused) and the caller gets an answer. Workers are reused only when their thread locals can be
 * cleared between invocations.
 */
public final class MeteredExecutor {
    static final long SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /**
     * How far ahead of its CPU budget or deadline guarded code is watched closely: its own guard
     * checks then stop it at the limit, even when this caller is not scheduled in time.
     */
    static final long WATCH_AHEAD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** The shortest sleep between two samples, near the end of a CPU budget. */
    static final long MIN_SAMPLE_NANOS = TimeUnit.MICROSECONDS.toNanos(100);
    /** How often a caller without a CPU budget looks for a trip the handler's own thread made. */
    static final long TRIP_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final String name;
    private final long graceNanos;
    private final ThreadGroup group;
    private final long stackSize;
    private final ConcurrentLinkedDeque<Worker> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger serial = new AtomicInteger();
    private final AtomicLong abandoned = new AtomicLong();
    private volatile Watchdog watchdog;

    /**
     * Creates an executor.
     *
     * @param name prefix of the worker threads' names
     * @param graceNanos how long to wait for a tripped task to unwind before abandoning its thread
     * @param stackSize worker stack size in bytes, 0 for the JVM default
     */
    public MeteredExecutor(String name, long graceNanos, long stackSize) {
        this.name = name;
        this.graceNanos = graceNanos;
        this.stackSize = stackSize;
        this.group = new ThreadGroup(name);
        ThreadClock.init();
    }

    /**
     * Loads what metering reads threads' CPU time and allocation through (the management API:
     * tens of milliseconds in a fresh JVM) on the calling host thread, so that an agent can do it
     * beside its other start-up work rather than in the first executor's constructor.
     */
    public static void prepare() {
        ThreadClock.init();
    }

    /**
     * Readies now, on the calling host thread, what the first {@link #runHere} of this executor
     * would otherwise build on the invocation's own path: its watchdog (thread, lambdas), the
     * classes that watch and stash a host thread, and the reflective accessors of the thread's
     * fields, whose method handles the JDK spins and interprets the first time (three, in a JDK
     * 25 child here, while its first request ran). Runs no task; never throws.
     *
     * <p>A process-tier child calls it beside opening its version; the JVM that records a start-up
     * cache calls it too, where no agent opened {@code java.lang} and runHere falls back to
     * {@link #run}, so that the cache holds the watchdog's classes and lambdas.
     */
    public void prepareHandOff() {
        try {
            watchdog();
            Watchdog.Watched.class.getName(); // loads it
            ThreadReset.prime();
        } catch (RuntimeException | LinkageError e) {
            // the first runHere builds what is missing
        }
    }

    /**
     * Threads for a host's own pool (an HTTP front's, say) on which {@link #runHere} runs
     * invocations without handing them to a worker: daemon {@link SandboxThread}s that run host
     * code ungated and unmetered between invocations.
     *
     * @param prefix their names' prefix; a serial number follows
     * @return the factory
     */
    public ThreadFactory hostThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> new SandboxThread(group, r, prefix + n.incrementAndGet(), stackSize, this);
    }

    /** @return how many worker threads were left behind because they did not stop */
    public long abandonedThreads() {
        return abandoned.get();
    }

    /**
     * Runs a task under budgets and a policy.
     *
     * @param budgets the budgets
     * @param policy the deny policy
     * @param contextLoader the task thread's context class loader (the handler's loader)
     * @param task the task, typically a call of the handler
     * @param <T> its result type
     * @return how it ended
     * @throws IllegalStateException when the capability gates are not installed
     * @throws IllegalArgumentException when a fuel budget is set and the handler's loader carries
     *     {@link Metering#GUARD} probes, which count no fuel
     */
    public <T> RunResult<T> run(Budgets budgets, Policy policy, ClassLoader contextLoader, Callable<T> task) {
        return run(budgets, policy, contextLoader, null, task);
    }

    /**
     * Like {@link #run(Budgets, Policy, ClassLoader, Callable)}, with the task's CPU time charged
     * to a quota it shares with others, which pauses it while throttled.
     *
     * @param budgets the budgets
     * @param policy the deny policy
     * @param contextLoader the task thread's context class loader (the handler's loader)
     * @param quota the CPU quota, or null for none
     * @param task the task
     * @param <T> its result type
     * @return how it ended
     */
    public <T> RunResult<T> run(Budgets budgets, Policy policy, ClassLoader contextLoader, ShareQuota quota,
            Callable<T> task) {
        Job<T> job = job(budgets, policy, contextLoader, quota, task);
        long start = System.nanoTime();
        Worker w = take();
        w.submit(job);
        return await(job, w, budgets, start);
    }

    /**
     * Runs a task under budgets and a policy on the calling thread when it is one of
     * {@link #hostThreads}' and idle, else like {@link #run}. Running here saves the hand-off to a
     * worker and back (two thread wake-ups); the {@link Watchdog} then does what a waiting caller
     * does: the deadline, CPU and allocation samples, the CPU quota, interruption after a trip.
     * The thread's thread locals, context class loader, name, priority, uncaught-exception handler
     * and interrupt status are stashed before the task and put back after it, so neither side sees
     * the other's.
     *
     * <p>A trip is answered at once, whatever the thread is doing: if the thread has not left the
     * task about a millisecond after the trip, the watchdog gives the answer to {@code onAnswer}
     * on another thread. If the thread has still not left a grace after the trip, it is abandoned:
     * counted, and reported to {@code onAbandon} (with {@link RunResult#abandoned()} true). When a
     * thread answered for comes back, this method throws {@link HandedOffException} instead of
     * returning: the caller must unwind without answering, recording or releasing anything for
     * the invocation.
     *
     * @param budgets the budgets
     * @param policy the deny policy
     * @param contextLoader the context class loader while the task runs (the handler's loader)
     * @param quota the CPU quota the task shares, or null for none
     * @param task the task
     * @param onAnswer takes the answer when the watchdog gives it (not called when this falls back
     *     to {@link #run}, which answers on the caller's thread)
     * @param onAbandon is told of a thread abandoned after {@code onAnswer} had the answer
     * @param <T> the result type
     * @return how it ended
     * @throws HandedOffException when the answer went to {@code onAnswer}
     * @throws IllegalStateException when the capability gates are not installed
     * @throws IllegalArgumentException as {@link #run} does for a fuel budget on guarded probes
     */
    public <T> RunResult<T> runHere(Budgets budgets, Policy policy, ClassLoader contextLoader, ShareQuota quota,
            Callable<T> task, Consumer<RunResult<T>> onAnswer, Consumer<RunResult<T>> onAbandon) {
        Thread current = Thread.currentThread();
        if (!(current instanceof SandboxThread) || ((SandboxThread) current).host != this
                || ((SandboxThread) current).meter != null || !ThreadReset.supported()) {
            return run(budgets, policy, contextLoader, quota, task);
        }
        SandboxThread t = (SandboxThread) current;
        Job<T> job = job(budgets, policy, contextLoader, quota, task);
        Watchdog.Watched<T> w = new Watchdog.Watched<>(job, t, budgets, System.nanoTime(), onAnswer, onAbandon);
        Watchdog dog = watchdog();
        ThreadReset.HostState host = ThreadReset.stash(t);
        try {
            dog.watch(w);
            job.runOn(t);
        } finally {
            job.end();
            dog.unwatch(w);
            host.restore(t);
        }
        if (!job.answeredHere) {
            throw new HandedOffException();
        }
        return job.result;
    }

    /**
     * A task and its meter: checks that the gates are in force and that a fuel budget meets
     * counting probes, and gives the meter the version's guard, the quota and the probe flavour.
     */
    private static <T> Job<T> job(Budgets budgets, Policy policy, ClassLoader contextLoader, ShareQuota quota,
            Callable<T> task) {
        GateStatus.requireGates();
        boolean guarded = contextLoader instanceof SandboxedLoader
                && ((SandboxedLoader) contextLoader).metering() == Metering.GUARD;
        if (budgets.fuel() > 0 && guarded) {
            throw new IllegalArgumentException("a fuel budget needs counting probes: load the version with Metering.COUNT");
        }
        Meter meter = new Meter(budgets, policy);
        meter.useGuard(Guard.of(contextLoader));
        meter.useQuota(quota);
        if (guarded) {
            meter.uncounted();
        }
        return new Job<>(meter, contextLoader, task);
    }

    private Watchdog watchdog() {
        Watchdog d = watchdog;
        if (d == null) {
            synchronized (this) {
                d = watchdog;
                if (d == null) {
                    ExecutorService answers = Executors.newCachedThreadPool(r -> {
                        Thread a = new Thread(r, name + "-abandoned-answer");
                        a.setDaemon(true);
                        return a;
                    });
                    d = new Watchdog(name + "-watchdog", graceNanos, answers, abandoned::incrementAndGet);
                    watchdog = d;
                }
            }
        }
        return d;
    }

    private <T> RunResult<T> await(Job<T> job, Worker w, Budgets budgets, long start) {
        Meter m = job.meter;
        long deadline = budgets.wallNanos() == 0 ? Long.MAX_VALUE : start + budgets.wallNanos();
        boolean sampleCpu = budgets.cpuNanos() > 0;
        boolean sampleAlloc = budgets.allocBytes() > 0;
        boolean charge = m.quota() != null;
        boolean sample = sampleCpu || sampleAlloc || charge;
        // the thread cannot use CPU faster than the clock runs: sleep no longer than the CPU left
        long nextSample = SAMPLE_NANOS;
        // guarded code is watched closely from a little before its deadline (see Meter#watchClosely)
        boolean guarded = !m.counted();
        try {
            while (true) {
                long now = System.nanoTime();
                long wakeAt = guarded && !m.watched() && deadline != Long.MAX_VALUE ? deadline - WATCH_AHEAD_NANOS : deadline;
                long wait = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, wakeAt - now);
                wait = Math.min(wait, sample || m.tripped() ? nextSample : TRIP_CHECK_NANOS);
                if (wait > 0 && job.done.await(wait, TimeUnit.NANOSECONDS)) {
                    return job.result;
                }
                if (job.done.getCount() == 0) {
                    return job.result;
                }
                now = System.nanoTime();
                if (guarded && !m.tripped() && deadline - now < WATCH_AHEAD_NANOS) {
                    m.watchClosely();
                }
                if (!m.tripped() && now - deadline >= 0) {
                    m.trip(Outcome.TIMEOUT, "wall-clock deadline of " + Meter.ms(budgets.wallNanos()) + " passed");
                }
                // sampled from here because guarded probes count nothing: a trip arms the guard
                if (!m.tripped() && charge && job.started) {
                    ShareQuota q = m.quota();
                    long tid = w.thread.getId();
                    if (m.chargeQuota(q.chargesCpu() ? ThreadClock.cpuNanos(tid) - m.cpuBase() : 0,
                            q.chargesAlloc() ? ThreadClock.allocatedBytes(tid) - m.allocBase() : 0, now)) {
                        m.armForQuota(); // its next probe pauses it
                    }
                }
                if (!m.tripped() && sampleCpu && job.started) {
                    long cpu = ThreadClock.cpuNanos(w.thread.getId()) - m.cpuBase();
                    if (cpu > budgets.cpuNanos()) {
                        m.trip(Outcome.CPU_EXCEEDED, "used " + Meter.ms(cpu) + " of CPU, budget " + Meter.ms(budgets.cpuNanos()));
                    }
                    nextSample = Math.max(MIN_SAMPLE_NANOS, Math.min(SAMPLE_NANOS, budgets.cpuNanos() - cpu + MIN_SAMPLE_NANOS));
                    if (guarded && !m.tripped() && budgets.cpuNanos() - cpu < WATCH_AHEAD_NANOS) {
                        m.watchClosely();
                    }
                }
                if (!m.tripped() && sampleAlloc && job.started) {
                    long alloc = ThreadClock.allocatedBytes(w.thread.getId()) - m.allocBase();
                    if (alloc > budgets.allocBytes()) {
                        m.trip(Outcome.ALLOC_EXCEEDED, "allocated " + alloc + " bytes, budget " + budgets.allocBytes());
                    }
                }
                if (m.tripped()) {
                    w.thread.interrupt();
                    // zero for a moment after a trip by the handler's own thread: the CAS comes first
                    long trippedAt = m.tripNanos();
                    if (trippedAt != 0 && now - trippedAt >= graceNanos) {
                        return abandon(job, w, start);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            m.trip(Outcome.TIMEOUT, "the caller was interrupted");
            w.thread.interrupt();
            return abandon(job, w, start);
        }
    }

    private <T> RunResult<T> abandon(Job<T> job, Worker w, long start) {
        if (!job.claim()) {
            return job.result; // it finished just now
        }
        w.abandoned = true;
        abandoned.incrementAndGet();
        Meter m = job.meter;
        long tid = w.thread.getId();
        long cpu = job.started ? ThreadClock.cpuNanos(tid) - m.cpuBase() : 0;
        long alloc = job.started ? ThreadClock.allocatedBytes(tid) - m.allocBase() : 0;
        return new RunResult<>(m.tripOutcome(), null, m.tripMessage() + " (the handler thread did not stop and was abandoned)",
                null, System.nanoTime() - start, cpu, alloc, m.fuelUsed(), true);
    }

    private Worker take() {
        Worker w = idle.pollFirst();
        if (w != null) {
            return w;
        }
        Worker nw = new Worker();
        String n = name + "-" + serial.incrementAndGet();
        nw.name = n;
        nw.thread = new SandboxThread(group, nw, n, stackSize);
        nw.thread.start();
        return nw;
    }

    /** One task and its answer. */
    static final class Job<T> {
        final Meter meter;
        final ClassLoader loader;
        final Callable<T> task;
        final CountDownLatch done = new CountDownLatch(1);
        final AtomicInteger claimed = new AtomicInteger();
        volatile boolean started;
        volatile RunResult<T> result;
        /** Whether the task's own thread gave the answer (it was not abandoned first). */
        volatile boolean answeredHere;
        /** Set once the task's thread has left it; guarded by this. */
        private boolean ended;

        Job(Meter meter, ClassLoader loader, Callable<T> task) {
            this.meter = meter;
            this.loader = loader;
            this.task = task;
        }

        boolean claim() {
            return claimed.compareAndSet(0, 1);
        }

        /**
         * Interrupts the task's thread unless it has left the task: an interrupt must never
         * reach the host code a {@link #runHere} thread goes back to (an interrupted NIO
         * channel closes).
         */
        synchronized void interruptIfRunning(Thread t) {
            if (!ended) {
                t.interrupt();
            }
        }

        /** Marks the task left; interrupts sent before are cleared by the caller after this. */
        synchronized void end() {
            ended = true;
        }

        void runOn(SandboxThread t) {
            long start = System.nanoTime();
            t.setContextClassLoader(loader);
            Thread.interrupted();
            meter.start();
            started = true;
            T value = null;
            Throwable error = null;
            String described = null;
            int cause = 0;
            t.attach(meter);
            try {
                ShareQuota quota = meter.quota();
                if (quota != null) {
                    quota.pause(meter); // a throttled route's new invocations wait their turn too
                }
                if (!meter.tripped()) {
                    value = task.call();
                }
            } catch (Throwable e) {
                error = e;
            }
            if (error != null && !(error instanceof BudgetAbort)) {
                // still metered: toString and getCause may be the handler's own code
                try {
                    described = describe(error);
                    cause = causedBy(error, StackOverflowError.class) ? 1 : directMemory(error) ? 3
                            : causedBy(error, OutOfMemoryError.class) ? 2 : 0;
                } catch (Throwable e) {
                    described = error.getClass().getName();
                }
            }
            t.attach(null);
            meter.releaseGuard();
            long wall = System.nanoTime() - start;
            long cpu = ThreadClock.cpuNanos() - meter.cpuBase();
            long alloc = ThreadClock.allocatedBytes() - meter.allocBase();
            meter.chargeQuota(cpu, alloc, System.nanoTime());
            finish(value, error == null ? null : error.getClass().getName(), described, cause, wall, cpu, alloc);
        }

        private void finish(T value, String error, String described, int cause, long wall, long cpu, long alloc) {
            if (!meter.tripped()) {
                // work done inside one JDK call is charged when control returns
                if (meter.allocBudget() > 0 && alloc > meter.allocBudget()) {
                    meter.trip(Outcome.ALLOC_EXCEEDED, "allocated " + alloc + " bytes, budget " + meter.allocBudget());
                } else if (meter.cpuBudget() > 0 && cpu > meter.cpuBudget()) {
                    meter.trip(Outcome.CPU_EXCEEDED, "used " + Meter.ms(cpu) + " of CPU, budget " + Meter.ms(meter.cpuBudget()));
                } else if (cause == 1) {
                    meter.trip(Outcome.STACK_EXCEEDED, "stack overflow (recursion too deep)");
                } else if (cause == 2) {
                    meter.trip(Outcome.ALLOC_EXCEEDED, "out of memory");
                } else if (cause == 3) {
                    meter.trip(Outcome.NATIVE_EXCEEDED, "out of direct memory: " + described);
                }
            }
            RunResult<T> r;
            if (meter.tripped()) {
                r = new RunResult<>(meter.tripOutcome(), null, meter.tripMessage(), null, wall, cpu, alloc, meter.fuelUsed(), false);
            } else if (error != null) {
                r = new RunResult<>(Outcome.ERROR, null, described, error, wall, cpu, alloc, meter.fuelUsed(), false);
            } else {
                r = new RunResult<>(Outcome.OK, value, null, null, wall, cpu, alloc, meter.fuelUsed(), false);
            }
            result = r;
            answeredHere = claim();
            done.countDown();
        }

        private static boolean causedBy(Throwable error, Class<? extends Throwable> type) {
            int depth = 0;
            for (Throwable t = error; t != null && depth < 32; t = t.getCause(), depth++) {
                if (type.isInstance(t)) {
                    return true;
                }
            }
            return false;
        }

        /** Whether the JVM refused direct memory, anywhere in the cause chain ({@link Meter#outOfDirectMemory}). */
        private static boolean directMemory(Throwable error) {
            int depth = 0;
            for (Throwable t = error; t != null && depth < 32; t = t.getCause(), depth++) {
                if (Meter.outOfDirectMemory(t)) {
                    return true;
                }
            }
            return false;
        }

        private static String describe(Throwable e) {
            String s = String.valueOf(e);
            return s.length() > 2000 ? s.substring(0, 2000) + "…" : s;
        }
    }

    /** A pooled worker thread and its hand-off slot. */
    private final class Worker implements Runnable {
        final SynchronousQueue<Job<?>> slot = new SynchronousQueue<>();
        SandboxThread thread;
        String name;
        volatile boolean abandoned;

        void submit(Job<?> job) {
            try {
                slot.put(job);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting an invocation", e);
            }
        }

        @Override
        public void run() {
            boolean reuse = ThreadReset.supported();
            while (true) {
                Job<?> job;
                try {
                    job = slot.take();
                } catch (InterruptedException e) {
                    continue;
                }
                job.runOn(thread);
                if (abandoned || !reuse) {
                    return;
                }
                ThreadReset.reset(thread, name);
                idle.offerFirst(this);
            }
        }
    }
}
