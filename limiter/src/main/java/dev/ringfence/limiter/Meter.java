package dev.ringfence.limiter;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The budgets of one invocation and what it has used of them.
 *
 * <p>Assumptions and guarantees: the owner thread (the {@link SandboxThread} running the
 * invocation) is the only writer of the counters ({@code credit}, {@code fuelCharged} and the
 * rest), which are plain fields so that the probes stay a decrement and a branch. Any thread (the
 * watchdog, the caller, a gate) may {@link #trip} the meter; the first trip wins, through a CAS on
 * {@code state}, and is seen by the owner at its next slow path, which runs at least every
 * {@link #SLOW_QUANTUM} ticks. Once tripped a meter stays tripped, and every later tick of the
 * owner throws the abort again.
 */
public final class Meter {
    /** Ticks between two slow paths: the granularity of fuel, CPU, allocation and deadline checks. */
    static final int SLOW_QUANTUM = 16_384;
    /** Back-edges a frame counts in a local before it charges them to the meter. */
    static final int EDGE_QUANTUM = 1_024;
    /** The slow path reads CPU time on one in this many slow paths (it costs about 500 ns). */
    private static final int CPU_EVERY = 8;

    private static final VarHandle STATE;

    /**
     * How many privileged windows are open on all threads: while none is, the entry check of a
     * guarded method that could be called back ({@link Probes#entered}) is one load and a branch.
     * An {@code AtomicInteger}, not a {@code VarHandle}: a gate opens a window, and the first use
     * of a {@code VarHandle} links code that passes through gates.
     */
    static final java.util.concurrent.atomic.AtomicInteger WINDOWS = new java.util.concurrent.atomic.AtomicInteger();

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Meter.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // --- owner-thread counters, plain fields
    int credit;
    private int grant;
    private long fuelCharged;
    private int slowCount;
    private long allocBase;
    /** Bytes that may still be allocated as of the last read of the thread's counter, less the arrays checked since. */
    private long allocHeadroom;
    private long cpuBase;
    boolean privileged;
    private long privilegedAlloc;
    private long privilegedCpu;
    private int privilegedCredit;
    private boolean accountWindow;
    /** Bytes outside the heap reserved so far (see {@link #chargeNative}). */
    private long nativeReserved;

    // --- configuration, fixed at construction
    private final long fuelLimit;
    private final long allocLimit;
    private final long cpuLimit;
    private final long wallNanos;
    private final long nativeLimit;
    private final Policy policy;
    private final BudgetAbort abort = new BudgetAbort(this);

    // --- the guard of the code this meter runs (Metering.GUARD), armed by the first trip
    private Guard guard;
    private ShareQuota quota;
    private long quotaCpuCharged; // guarded by this
    private long quotaAllocCharged; // guarded by this
    private boolean guardArmed; // guarded by this
    private boolean guardReleased; // guarded by this

    /** False when the code this meter runs has guarded probes: what it charges is not fuel. */
    private boolean counted = true;
    /** Set by the caller when a limit is near: the armed guard's check then reads the clocks itself. */
    private volatile boolean watching;
    private int watchPolls;

    // --- set at start
    private long deadline;
    private Thread owner;

    // --- shared
    private volatile int state;
    private volatile String message;
    private volatile long tripNanos;

    /**
     * Creates a meter.
     *
     * @param budgets the budgets; zero means none
     * @param policy the deny policy the gates apply to this invocation
     */
    public Meter(Budgets budgets, Policy policy) {
        this.fuelLimit = budgets.fuel();
        this.allocLimit = budgets.allocBytes();
        this.cpuLimit = budgets.cpuNanos();
        this.wallNanos = budgets.wallNanos();
        this.nativeLimit = budgets.nativeBytes();
        this.policy = policy;
    }

    /**
     * Meters the code the current {@link SandboxThread} runs from now on, until {@link #detach()}.
     * For callers that run handler code inline (benchmarks, method budgets) instead of through
     * {@link MeteredExecutor}. A trip throws {@link BudgetAbort} out of the metered code.
     *
     * @param budgets the budgets
     * @param policy the policy
     * @return the started meter
     * @throws IllegalStateException when the current thread is not a sandbox thread or already metered
     */
    public static Meter attachToCurrentThread(Budgets budgets, Policy policy) {
        Thread t = Thread.currentThread();
        if (!(t instanceof SandboxThread) || ((SandboxThread) t).meter != null) {
            throw new IllegalStateException("not an idle sandbox thread: " + t.getName());
        }
        Meter m = new Meter(budgets, policy);
        m.useGuard(Guard.of(t.getContextClassLoader()));
        m.start();
        ((SandboxThread) t).attach(m);
        return m;
    }

    /** Stops metering the current thread, which must be this meter's owner. */
    public void detach() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("detach from another thread");
        }
        ((SandboxThread) owner).attach(null);
        releaseGuard();
    }

    /**
     * Sets the guard a trip arms: the guard of the version whose code this meter runs. Called
     * before {@link #start}.
     *
     * @param g the guard, or null for none
     */
    void useGuard(Guard g) {
        this.guard = g;
    }

    /**
     * Sets the CPU quota this invocation shares with others, or null for none. Called before
     * {@link #start}.
     */
    void useQuota(ShareQuota q) {
        this.quota = q;
    }

    /** @return the CPU quota, or null */
    ShareQuota quota() {
        return quota;
    }

    /**
     * Charges what this invocation has used so far to its quota (the part not charged before).
     * Called by whoever samples the owner and by the owner at the end.
     *
     * @param cpuSoFar CPU nanoseconds since {@link #start} (0 when not read)
     * @param allocSoFar bytes allocated since {@link #start} (0 when not read)
     * @param now {@link System#nanoTime()}
     * @return true when the quota is throttled now
     */
    boolean chargeQuota(long cpuSoFar, long allocSoFar, long now) {
        ShareQuota q = quota;
        if (q == null) {
            return false;
        }
        long cpuDelta;
        long allocDelta;
        synchronized (this) {
            cpuDelta = Math.max(0, cpuSoFar - quotaCpuCharged);
            quotaCpuCharged += cpuDelta;
            allocDelta = Math.max(0, allocSoFar - quotaAllocCharged);
            quotaAllocCharged += allocDelta;
        }
        return q.charge(cpuDelta, allocDelta, now);
    }

    /**
     * Makes the owner's guarded probes check this meter from now on (once per invocation): used
     * when the quota is throttled, so the owner pauses at its next probe.
     */
    void armForQuota() {
        armGuard();
    }

    /** Pauses the owner while its quota is throttled; on the owner's thread, outside any window. */
    private void pauseForQuota() {
        ShareQuota q = quota;
        if (q != null && q.mayBeThrottled()) {
            q.pause(this);
            if (state != 0) {
                throw abort;
            }
        }
    }

    /**
     * Called once the owner has left the handler's code for good: a guard this meter armed is
     * disarmed, and a later trip arms nothing.
     */
    void releaseGuard() {
        Guard g;
        synchronized (this) {
            guardReleased = true;
            if (!guardArmed) {
                return;
            }
            guardArmed = false;
            g = guard;
        }
        g.disarm();
    }

    private void armGuard() {
        Guard g = guard;
        if (g == null) {
            return;
        }
        synchronized (this) {
            if (guardReleased || guardArmed) {
                return;
            }
            guardArmed = true;
        }
        // on the owner thread, arming runs JDK code: it is the sandbox's work, not the handler's
        boolean own = Thread.currentThread() == owner;
        boolean was = privileged;
        if (own) {
            privileged = true;
        }
        try {
            g.arm();
        } finally {
            if (own) {
                privileged = was;
            }
        }
    }

    /** Starts metering on the current thread. Called by the owner before handler code runs. */
    void start() {
        start(true);
    }

    /**
     * Starts metering on the current thread.
     *
     * @param readCpu false to skip reading the thread's CPU clock (about 1 µs on some machines)
     *     when nothing will need the CPU time used: no CPU budget, and no report of it
     */
    void start(boolean readCpu) {
        owner = Thread.currentThread();
        deadline = wallNanos == 0 ? 0 : System.nanoTime() + wallNanos;
        allocBase = ThreadClock.allocatedBytes();
        allocHeadroom = allocLimit > 0 ? allocLimit : Long.MAX_VALUE;
        cpuBase = readCpu || cpuLimit > 0 ? ThreadClock.cpuNanos() : 0;
        grant = credit = nextGrant(0);
    }

    // ------------------------------------------------------------------------------------------
    // the slow path

    /**
     * Charges the ticks counted since the last slow path, checks every budget and grants the next
     * credit. Throws the abort when a budget has run out or the meter was tripped.
     */
    void slow() {
        long used = fuelCharged + (grant - credit);
        fuelCharged = used;
        grant = credit = 0;
        if (state != 0) {
            throw abort;
        }
        if (privileged) {
            throw calledBack();
        }
        pauseForQuota();
        if (fuelLimit > 0 && used >= fuelLimit) {
            throw tripOwn(Outcome.FUEL_EXCEEDED, "fuel budget of " + fuelLimit + " ticks used up");
        }
        if (allocLimit > 0) {
            long a = ThreadClock.allocatedBytes() - allocBase;
            if (a > allocLimit) {
                throw tripOwn(Outcome.ALLOC_EXCEEDED, "allocated " + a + " bytes, budget " + allocLimit);
            }
            allocHeadroom = allocLimit - a;
        }
        if (cpuLimit > 0 && ++slowCount % CPU_EVERY == 0) {
            long c = ThreadClock.cpuNanos() - cpuBase;
            if (c > cpuLimit) {
                throw tripOwn(Outcome.CPU_EXCEEDED, "used " + ms(c) + " of CPU, budget " + ms(cpuLimit));
            }
        }
        if (deadline != 0 && System.nanoTime() - deadline > 0) {
            throw tripOwn(Outcome.TIMEOUT, "wall-clock deadline of " + ms(wallNanos) + " passed");
        }
        grant = credit = nextGrant(used);
    }

    /**
     * Formats nanoseconds as milliseconds with one decimal, for messages.
     *
     * @param nanos a duration
     * @return like {@code 200.3 ms}
     */
    static String ms(long nanos) {
        long tenths = nanos / 100_000;
        return tenths / 10 + "." + tenths % 10 + " ms";
    }

    private int nextGrant(long used) {
        if (fuelLimit > 0) {
            long left = fuelLimit - used;
            return (int) Math.max(1, Math.min(SLOW_QUANTUM, left));
        }
        return SLOW_QUANTUM;
    }

    /**
     * Checks an allocation of {@code elements} elements spread over {@code arrays} arrays before it
     * happens.
     *
     * @param elements elements in the innermost arrays
     * @param elementShift log2 of the element size in bytes
     * @param arrays how many arrays (each has a 16-byte header)
     */
    void checkArrays(long elements, int elementShift, long arrays) {
        long bytes = (elements << elementShift) + 16 * Math.min(arrays, Long.MAX_VALUE / 64);
        checkAllocation(bytes < 0 ? Long.MAX_VALUE / 2 : bytes);
    }

    /**
     * Checks an array allocation before it happens.
     *
     * @param bytes the array's size estimate in bytes
     */
    void checkAllocation(long bytes) {
        if (state != 0) {
            throw abort;
        }
        // the thread's counter (about 10 ns) is read only when the arrays checked since the last
        // read could have used up what was left then; objects are charged at the slow path
        if (allocLimit > 0 && bytes > 0 && (allocHeadroom -= bytes) < 0) {
            long a = ThreadClock.allocatedBytes() - allocBase;
            if (a + bytes > allocLimit) {
                throw tripOwn(Outcome.ALLOC_EXCEEDED, "an array of " + bytes + " bytes would pass the budget of "
                        + allocLimit + " bytes (" + a + " already allocated)");
            }
            allocHeadroom = allocLimit - a - bytes;
        }
    }

    /**
     * Tells whether a reservation of memory outside the heap (a direct buffer, a native memory
     * segment, a file mapping, a compressor's native state) fits the native budget. Called by the
     * gate at the JDK's choke point on the owner thread, before anything is reserved.
     *
     * @param bytes the reservation
     * @return true when there is no native budget or the reservation fits what is left of it
     */
    public boolean fitsNative(long bytes) {
        return nativeLimit == 0 || bytes <= nativeLimit - nativeReserved;
    }

    /**
     * Charges a reservation that {@link #fitsNative fits}. Reservations are counted when made and
     * never credited back (the JDK frees direct memory on another thread, after a collection), as
     * the allocation budget counts bytes allocated, not bytes live. On the owner thread only.
     *
     * @param bytes the reservation, not negative
     */
    public void chargeNative(long bytes) {
        long sum = nativeReserved + bytes;
        nativeReserved = sum < 0 ? Long.MAX_VALUE : sum;
    }

    /**
     * Trips the meter with {@link Outcome#NATIVE_EXCEEDED} for a reservation that does not fit.
     *
     * @param bytes the reservation refused
     * @param what what was being reserved ({@code java.nio.ByteBuffer.allocateDirect}, say)
     * @return the abort, to be thrown by the caller before anything is reserved
     */
    public BudgetAbort exceedNative(long bytes, String what) {
        return tripOwn(Outcome.NATIVE_EXCEEDED, what + " of " + bytes + " bytes would pass the native memory budget of "
                + nativeLimit + " bytes (" + nativeReserved + " already reserved)");
    }

    /**
     * Whether a throwable is the JVM refusing direct memory: {@code java.nio.Bits} throws a plain
     * {@code OutOfMemoryError} naming "direct buffer memory" when {@code -XX:MaxDirectMemorySize}
     * (the host's, or a child's cap) would be passed, which memory kept from earlier invocations
     * can bring about before this invocation's own budget runs out. Only the JDK's own class
     * counts, so a handler's subclass cannot pose as one (and its message is the JDK's).
     *
     * @param t a throwable, or null
     * @return true for the JDK's direct-memory {@code OutOfMemoryError}
     */
    static boolean outOfDirectMemory(Throwable t) {
        if (t == null || t.getClass() != OutOfMemoryError.class) {
            return false;
        }
        String m = t.getMessage();
        return m != null && m.contains("direct buffer memory");
    }

    /** @return bytes outside the heap reserved so far by the owner (as charged by the gates) */
    public long nativeReserved() {
        return nativeReserved;
    }

    /** @return the native-memory budget in bytes, 0 for none */
    public long nativeBudget() {
        return nativeLimit;
    }

    /**
     * Denies handler code that runs inside a privileged window: the sandbox's own code (a gate,
     * say) called it back.
     *
     * @return the abort, to be thrown by the caller
     */
    BudgetAbort calledBack() {
        return tripOwn(Outcome.DENIED, "denied: handler code called back from inside the sandbox's own code "
                + "(an object passed to a gated JDK method overrides a method the gate uses)");
    }

    /**
     * The armed guard's check: throws the abort if the meter has tripped, and denies callbacks.
     * While {@linkplain #watchClosely watched}, one check in {@value #WATCH_EVERY} also reads the
     * thread's CPU time, the clock and its allocated bytes, so the thread stops at its limit
     * itself, however late the caller gets to run.
     */
    void guardCheck() {
        if (state != 0) {
            throw abort;
        }
        if (privileged) {
            throw calledBack();
        }
        pauseForQuota();
        if (watching && ++watchPolls % WATCH_EVERY == 0) {
            checkLimits();
        }
    }

    /** Guard checks between two readings of the clocks while watched (a reading costs about 0.5 µs). */
    static final int WATCH_EVERY = 256;

    private void checkLimits() {
        if (cpuLimit > 0) {
            long c = ThreadClock.cpuNanos() - cpuBase;
            if (c > cpuLimit) {
                throw tripOwn(Outcome.CPU_EXCEEDED, "used " + ms(c) + " of CPU, budget " + ms(cpuLimit));
            }
        }
        if (deadline != 0 && System.nanoTime() - deadline > 0) {
            throw tripOwn(Outcome.TIMEOUT, "wall-clock deadline of " + ms(wallNanos) + " passed");
        }
        if (allocLimit > 0) {
            long a = ThreadClock.allocatedBytes() - allocBase;
            if (a > allocLimit) {
                throw tripOwn(Outcome.ALLOC_EXCEEDED, "allocated " + a + " bytes, budget " + allocLimit);
            }
        }
    }

    /**
     * Called by the caller when the CPU budget or the deadline is only a sample or two away: arms
     * the guard now (paying for the deoptimisation before the limit rather than after it) and
     * lets the owner's guard checks read the clocks themselves. Safe from any thread; idempotent.
     */
    void watchClosely() {
        if (!watching && state == 0) {
            watching = true;
            armGuard();
        }
    }

    /** @return true once {@link #watchClosely} has been called */
    boolean watched() {
        return watching;
    }

    /** @return true when the metered code carries counting probes */
    boolean counted() {
        return counted;
    }

    /** A frame's back-edge credit ran out: charges {@value #EDGE_QUANTUM} ticks (a probe's slow branch). */
    void chargeEdges() {
        credit -= EDGE_QUANTUM;
        if (credit <= 0) {
            slow();
        } else {
            checkState();
        }
    }

    /**
     * What a catch guard does on the owner thread: rethrows the abort of a tripped meter, turns a
     * caught stack overflow or out-of-memory error into a trip, and charges one tick.
     *
     * @param caught what the exception handler caught
     */
    void caught(Throwable caught) {
        if (caught instanceof StackOverflowError) {
            throw tripOwn(Outcome.STACK_EXCEEDED, "stack overflow (recursion too deep)");
        }
        if (outOfDirectMemory(caught)) {
            throw tripOwn(Outcome.NATIVE_EXCEEDED, "out of direct memory: " + caught.getMessage());
        }
        if (caught instanceof OutOfMemoryError) {
            throw tripOwn(Outcome.ALLOC_EXCEEDED, "out of memory: " + caught.getMessage());
        }
        if (--credit <= 0) {
            slow();
        } else {
            checkState();
        }
    }

    /** Throws the abort if the meter has been tripped. */
    void checkState() {
        if (state != 0) {
            throw abort;
        }
    }

    // ------------------------------------------------------------------------------------------
    // tripping

    /**
     * Trips the meter. The first trip wins; later ones are ignored. Safe from any thread.
     *
     * @param outcome the outcome the invocation ends with
     * @param why a message naming what ran out or what was denied
     * @return true if this call tripped the meter
     */
    public boolean trip(Outcome outcome, String why) {
        if (STATE.compareAndSet(this, 0, outcome.ordinal() + 1)) {
            message = why;
            tripNanos = System.nanoTime();
            armGuard();
            return true;
        }
        return false;
    }

    /**
     * Trips the meter from its own thread and hands back the abort to throw.
     *
     * @param outcome the outcome
     * @param why the message
     * @return the abort, to be thrown by the caller
     */
    public BudgetAbort tripOwn(Outcome outcome, String why) {
        trip(outcome, why);
        if (Thread.currentThread() == owner) {
            // charge what was used of the grant, then leave no credit: every later tick is slow and throws
            fuelCharged += grant - credit;
            grant = credit = 0;
        }
        return abort;
    }

    /**
     * Denies an API: trips the meter with {@link Outcome#DENIED}.
     *
     * @param api the API, named the way a user would look it up ({@code java.lang.Runtime.exit})
     * @return the abort, to be thrown by the caller
     */
    public BudgetAbort deny(String api) {
        return tripOwn(Outcome.DENIED, "denied: " + api);
    }

    /** @return true once the meter has tripped */
    public boolean tripped() {
        return state != 0;
    }

    /** @return the outcome of the trip, or null if the meter has not tripped */
    public Outcome tripOutcome() {
        int s = state;
        return s == 0 ? null : Outcome.values()[s - 1];
    }

    /** @return the message of the trip, or null */
    public String tripMessage() {
        return message;
    }

    long tripNanos() {
        return tripNanos;
    }

    // ------------------------------------------------------------------------------------------
    // readings

    /**
     * @return ticks charged so far (back-edges are charged in blocks of {@value #EDGE_QUANTUM}),
     *     or -1 when the metered code's probes count none ({@link Metering#GUARD})
     */
    public long fuelUsed() {
        return counted ? fuelCharged + (grant - credit) : -1;
    }

    /** Marks the metered code as carrying guarded probes, which count no fuel. Before {@link #start}. */
    void uncounted() {
        counted = false;
    }

    /** @return the policy the gates apply to this invocation */
    public Policy policy() {
        return policy;
    }

    /**
     * Tells whether gates should let the current call through: true while the sandbox's own code
     * (class loading from memory, say) runs on the handler's thread.
     *
     * @return true when privileged
     */
    public boolean privileged() {
        return privileged;
    }

    /**
     * Opens or closes the gates for sandbox-owned code running on the owner thread (a class
     * being read from the cache and instrumented, say). Never call with handler code in between.
     * The CPU time and bytes the owner thread spends inside the outermost privileged window are
     * not charged to the invocation: they are the sandbox's work, not the handler's.
     *
     * @param on true to open the gates, false to close them again
     * @return the previous value, to restore
     */
    public boolean setPrivileged(boolean on) {
        return privilege(on, true);
    }

    /**
     * Like {@link #setPrivileged}, for the short checks of a gate: the gate's own work is
     * charged to the invocation (reading the thread's clocks would cost more than the check).
     *
     * @param on true to open the gates, false to close them again
     * @return the previous value, to restore
     */
    public boolean setGateWindow(boolean on) {
        return privilege(on, false);
    }

    private boolean privilege(boolean on, boolean account) {
        boolean was = privileged;
        if (on != was) {
            WINDOWS.getAndAdd(on ? 1 : -1);
        }
        if (Thread.currentThread() == owner && on != was) {
            if (on) {
                accountWindow = account;
                if (account) {
                    privilegedAlloc = ThreadClock.allocatedBytes();
                    privilegedCpu = cpuLimit > 0 ? ThreadClock.cpuNanos() : 0;
                }
                // no credit inside the window: the first tick of handler code called back from
                // the sandbox's own code (a File subclass a gate asks for its path, say) goes to
                // the slow path, which denies it
                fuelCharged += grant - credit;
                privilegedCredit = credit;
                grant = credit = 0;
            } else {
                if (accountWindow) {
                    allocBase += ThreadClock.allocatedBytes() - privilegedAlloc;
                    if (cpuLimit > 0) {
                        cpuBase += ThreadClock.cpuNanos() - privilegedCpu;
                    }
                }
                fuelCharged += grant - credit;
                grant = credit = Math.max(1, privilegedCredit);
            }
        }
        privileged = on;
        return was;
    }

    long cpuBudget() {
        return cpuLimit;
    }

    long allocBudget() {
        return allocLimit;
    }

    long allocBase() {
        return allocBase;
    }

    long cpuBase() {
        return cpuBase;
    }
}
