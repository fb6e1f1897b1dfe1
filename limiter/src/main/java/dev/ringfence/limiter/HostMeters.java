package dev.ringfence.limiter;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Meters invocations that run on a host's own threads: the method budgets of an agent attached
 * to a running JVM, where budgeted calls run on whatever thread the host calls them from rather
 * than on a {@link SandboxThread}. The running invocation of a thread is found through a
 * {@code ThreadLocal} (a host thread has no field for it), and the probe methods here have the
 * shapes of {@link Probes}'s counting probes so that a bridge can forward instrumented code's
 * calls to them.
 *
 * <p>Assumptions and guarantees: {@link #begin} and {@link #end} are called in pairs on the same
 * thread (the wrapper of a budgeted method calls them in a try/finally); a budgeted call made
 * inside a running invocation nests in it and is metered by it; only the outermost call starts
 * and ends a meter. {@link #end} of the outermost call removes the thread's entry, so that a
 * thread keeps no reference to this class's loader between invocations. The probe methods charge
 * only the current thread's invocation and do nothing on a thread that runs none.
 */
public final class HostMeters {
    private final ThreadLocal<Frame> current = new ThreadLocal<>();
    private final AtomicInteger running = new AtomicInteger();

    /** The invocation running on one thread. */
    private static final class Frame {
        final Meter meter;
        final Budgets budgets;
        final boolean stops;
        final Object tag;
        final long startNanos;
        int depth;

        Frame(Meter meter, Budgets budgets, boolean stops, Object tag) {
            this.meter = meter;
            this.budgets = budgets;
            this.stops = stops;
            this.tag = tag;
            this.startNanos = System.nanoTime();
        }
    }

    /**
     * How an outermost budgeted call ended.
     *
     * @param outcome {@code OK}, {@code ERROR} (it threw) or the budget it ran out of
     * @param message what ran out, or null
     * @param stopped true when the call was stopped by the trip; false when the budget only
     *     observes ({@code onExceeded=log}), when no probe ran between the overrun and the
     *     call's end (code outside the instrumented packages), or when nothing ran out
     * @param wallNanos the call's wall-clock time
     * @param cpuNanos CPU time the thread used during the call; 0 when the budget has no CPU
     *     limit (reading a thread's CPU clock costs up to a microsecond, more than the rest of
     *     a budgeted call's overhead)
     * @param allocBytes bytes the thread allocated during the call
     * @param fuel ticks counted in instrumented code
     * @param tag what the caller passed to {@link #begin} for the invocation
     */
    public record Ended(Outcome outcome, String message, boolean stopped, long wallNanos, long cpuNanos,
            long allocBytes, long fuel, Object tag) {
    }

    /** Creates an empty set of host invocations. */
    public HostMeters() {
        ThreadClock.init();
    }

    /**
     * Starts a budgeted call on the current thread: a new invocation when none runs, else a call
     * nested in the running one (metered by it).
     *
     * @param budgets the budgets of a new invocation
     * @param stops true to stop the call when a budget runs out, false only to observe it
     * @param tag what the caller wants back in {@link Ended#tag} (the budgeted method, say)
     * @return true when this call started a new invocation
     */
    public boolean begin(Budgets budgets, boolean stops, Object tag) {
        Frame f = current.get();
        if (f != null) {
            f.depth++;
            return false;
        }
        Meter m = new Meter(stops ? budgets : Budgets.NONE, Policy.DENY_ALL);
        m.start(budgets.cpuNanos() > 0);
        current.set(new Frame(m, budgets, stops, tag));
        running.incrementAndGet();
        return true;
    }

    /**
     * Ends a budgeted call on the current thread.
     *
     * @param thrown what the call threw, or null when it returned
     * @return how the invocation ended when this was its outermost call; null for a nested call
     *     or when the thread runs no invocation
     */
    public Ended end(Throwable thrown) {
        Frame f = current.get();
        if (f == null) {
            return null;
        }
        if (f.depth > 0) {
            f.depth--;
            return null;
        }
        current.remove();
        running.decrementAndGet();
        Meter m = f.meter;
        long wall = System.nanoTime() - f.startNanos;
        long cpu = f.budgets.cpuNanos() > 0 ? ThreadClock.cpuNanos() - m.cpuBase() : 0;
        long alloc = ThreadClock.allocatedBytes() - m.allocBase();
        long fuel = Math.max(0, m.fuelUsed());
        if (m.tripped()) {
            return new Ended(m.tripOutcome(), m.tripMessage(), true, wall, cpu, alloc, fuel, f.tag);
        }
        // passed a budget without a probe to stop it (or observed only): recorded, not stopped
        Ended over = overBudget(f, wall, cpu, alloc, fuel);
        if (over != null) {
            return over;
        }
        return new Ended(thrown == null ? Outcome.OK : Outcome.ERROR, null, false, wall, cpu, alloc, fuel, f.tag);
    }

    /** How an observed call ended when it passed a budget (the first one checked), or null. */
    private static Ended overBudget(Frame f, long wall, long cpu, long alloc, long fuel) {
        Budgets b = f.budgets;
        Outcome o = null;
        String why = null;
        if (b.wallNanos() > 0 && wall > b.wallNanos()) {
            o = Outcome.TIMEOUT;
            why = "took " + Meter.ms(wall) + ", deadline " + Meter.ms(b.wallNanos());
        } else if (b.cpuNanos() > 0 && cpu > b.cpuNanos()) {
            o = Outcome.CPU_EXCEEDED;
            why = "used " + Meter.ms(cpu) + " of CPU, budget " + Meter.ms(b.cpuNanos());
        } else if (b.allocBytes() > 0 && alloc > b.allocBytes()) {
            o = Outcome.ALLOC_EXCEEDED;
            why = "allocated " + alloc + " bytes, budget " + b.allocBytes();
        } else if (b.fuel() > 0 && fuel > b.fuel()) {
            o = Outcome.FUEL_EXCEEDED;
            why = "counted " + fuel + " ticks, budget " + b.fuel();
        }
        return o == null ? null : new Ended(o, why, false, wall, cpu, alloc, fuel, f.tag);
    }

    /** @return true when the current thread runs an invocation */
    public boolean inInvocation() {
        return current.get() != null;
    }

    /** @return how many invocations are running on all threads */
    public int running() {
        return running.get();
    }

    /**
     * Tells whether a throwable is a budget trip's abort.
     *
     * @param t a throwable
     * @return true for a {@link BudgetAbort}
     */
    public static boolean isAbort(Throwable t) {
        return t instanceof BudgetAbort;
    }

    // --- probes, with the shapes of Probes' counting probes

    /** @return the initial back-edge credit of a frame; see {@link Probes#enter} */
    public int enter() {
        tick();
        return Meter.EDGE_QUANTUM;
    }

    /** A method entry; see {@link Probes#tick}. */
    public void tick() {
        Frame f = current.get();
        if (f != null && --f.meter.credit <= 0) {
            f.meter.slow();
        }
    }

    /** @return the next back-edge credit of a frame whose credit ran out; see {@link Probes#edge} */
    public int poll() {
        Frame f = current.get();
        if (f != null) {
            f.meter.chargeEdges();
        }
        return Meter.EDGE_QUANTUM;
    }

    /**
     * The first instruction of an exception handler; see {@link Probes#caught}.
     *
     * @param caught what the handler caught
     */
    public void caught(Throwable caught) {
        Frame f = current.get();
        if (f == null) {
            return;
        }
        if (f.stops) {
            f.meter.caught(caught);
        } else if (--f.meter.credit <= 0) {
            f.meter.slow(); // an observed call is not stopped for a stack overflow it caught either
        }
    }

    /**
     * Before an array allocation; see {@link Probes#arrayTotal}.
     *
     * @param elements elements in the innermost arrays
     * @param elementShift log2 of the element size in bytes
     * @param arrays how many arrays
     */
    public void arrayTotal(long elements, int elementShift, long arrays) {
        Frame f = current.get();
        if (f != null) {
            f.meter.checkArrays(elements, elementShift, arrays);
        }
    }
}
