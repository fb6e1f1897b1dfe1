package dev.ringfence.agent.pipeline;

import dev.ringfence.api.Outcome;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * A route's circuit breaker. {@code CLOSED} admits everything and opens after {@code failures}
 * consecutive failures; {@code OPEN} admits nothing for {@code openFor}, then turns
 * {@code HALF_OPEN}; {@code HALF_OPEN} admits at most {@code maxTrials} trial calls at a time,
 * opens again on the first failing trial and closes after {@code successes} consecutive successful
 * ones.
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>Thread-safe. Every permit {@link #tryAcquire()} hands out must be given back with exactly
 *       one {@link #record(long, Outcome)}, whatever happened to the call (an admission that
 *       rejected it afterwards records {@link Outcome#REJECTED}, which counts neither way but
 *       returns a trial slot).</li>
 *   <li>Which outcomes are failures is the caller's choice ({@link #DEFAULT_FAILURES}: {@code ERROR},
 *       {@code TIMEOUT}, the budget outcomes and {@code CRASHED}). {@code REJECTED} and
 *       {@code CIRCUIT_OPEN} say nothing about the handler and never count; every other outcome is
 *       a success.</li>
 *   <li>A permit belongs to the state it was issued in: results of calls admitted before the last
 *       transition are ignored, so a slow straggler from a closed period cannot close or reopen
 *       the breaker later.</li>
 *   <li>{@code tryAcquire} while closed, and while open before {@code openFor} has passed, reads two
 *       volatile fields and the clock, takes no lock and allocates nothing; so does recording a
 *       success while closed with no failure counted.</li>
 *   <li>{@code OPEN} turns {@code HALF_OPEN} lazily, on the first {@code tryAcquire} after
 *       {@code openFor}. The listener hears every transition in order, on the thread that caused
 *       it, while the breaker's lock is held: it must be quick and must not call the breaker.</li>
 *   <li>Times come from the injected clock (nanoseconds, compared by subtraction).</li>
 * </ul>
 */
public final class CircuitBreaker {
    /** The breaker's states. */
    public enum State {
        /** Calls run; consecutive failures are counted. */
        CLOSED,
        /** Calls are refused until {@code openFor} has passed. */
        OPEN,
        /** A bounded number of trial calls run to decide between closing and opening again. */
        HALF_OPEN
    }

    /** Hears transitions (for JFR events and log lines). */
    @FunctionalInterface
    public interface Listener {
        /**
         * @param from the state left
         * @param to the state entered
         * @param atNanos the clock's reading at the transition
         */
        void onTransition(State from, State to, long atNanos);
    }

    /** What {@link #tryAcquire()} returns when the call may not run. */
    public static final long NOT_PERMITTED = -1L;

    /** {@code ERROR}, {@code TIMEOUT}, every budget outcome and {@code CRASHED}, as issue 3 counts them. */
    public static final Set<Outcome> DEFAULT_FAILURES = defaultFailures();

    private static final State[] STATES = State.values();

    private final int failureThreshold;
    private final int successThreshold;
    private final int maxTrials;
    private final long openForNanos;
    private final boolean[] failure = new boolean[Outcome.values().length];
    private final LongSupplier clock;
    private final Listener listener;

    /** {@code generation << 2 | state.ordinal()}; the generation grows at every transition. */
    private volatile long word;
    private volatile long openUntil;
    private volatile int consecutiveFailures;
    private int trialSuccesses;
    private int trialsInFlight;

    /**
     * @param settings failures, successes (also the number of trials at a time) and openFor
     * @param clock nanoseconds
     * @param listener hears transitions
     * @return a closed breaker counting {@link #DEFAULT_FAILURES}
     */
    public static CircuitBreaker of(RouteSettings.Breaker settings, LongSupplier clock, Listener listener) {
        return new CircuitBreaker(settings.failures(), settings.successes(), settings.openForNanos(),
                settings.successes(), DEFAULT_FAILURES, clock, listener);
    }

    /**
     * @param failures consecutive failures that open the breaker (at least 1)
     * @param successes consecutive successful trials that close it (at least 1)
     * @param openForNanos how long it stays open (more than 0)
     * @param maxTrials trial calls admitted at a time while half-open (at least 1)
     * @param failureOutcomes outcomes that count as failures (not {@code REJECTED} or {@code CIRCUIT_OPEN})
     * @param clock nanoseconds
     * @param listener hears transitions
     */
    public CircuitBreaker(int failures, int successes, long openForNanos, int maxTrials, Set<Outcome> failureOutcomes,
            LongSupplier clock, Listener listener) {
        if (failures < 1 || successes < 1 || openForNanos <= 0 || maxTrials < 1) {
            throw new IllegalArgumentException("breaker needs failures, successes and maxTrials >= 1, openFor > 0");
        }
        if (failureOutcomes.contains(Outcome.REJECTED) || failureOutcomes.contains(Outcome.CIRCUIT_OPEN)) {
            throw new IllegalArgumentException("REJECTED and CIRCUIT_OPEN never reach a handler and cannot count as failures");
        }
        this.failureThreshold = failures;
        this.successThreshold = successes;
        this.openForNanos = openForNanos;
        this.maxTrials = maxTrials;
        for (Outcome o : failureOutcomes) {
            failure[o.ordinal()] = true;
        }
        this.clock = clock;
        this.listener = listener;
        this.word = State.CLOSED.ordinal();
    }

    private static Set<Outcome> defaultFailures() {
        EnumSet<Outcome> s = EnumSet.of(Outcome.ERROR, Outcome.CRASHED);
        for (Outcome o : Outcome.values()) {
            if (o.isBudget()) {
                s.add(o);
            }
        }
        return Collections.unmodifiableSet(s);
    }

    /**
     * Asks to run one call.
     *
     * @return a permit (0 or more) to pass to {@link #record}, or {@link #NOT_PERMITTED}
     */
    public long tryAcquire() {
        long w = word;
        int state = (int) (w & 3);
        if (state == State.CLOSED.ordinal()) {
            return (w >>> 2) << 1;
        }
        if (state == State.OPEN.ordinal() && clock.getAsLong() - openUntil < 0) {
            return NOT_PERMITTED;
        }
        return acquireSlow();
    }

    private synchronized long acquireSlow() {
        long w = word;
        State s = STATES[(int) (w & 3)];
        if (s == State.OPEN) {
            long now = clock.getAsLong();
            if (now - openUntil < 0) {
                return NOT_PERMITTED;
            }
            w = enter(State.HALF_OPEN, now);
            s = State.HALF_OPEN;
        }
        if (s == State.CLOSED) {
            return (w >>> 2) << 1;
        }
        if (trialsInFlight >= maxTrials) {
            return NOT_PERMITTED;
        }
        trialsInFlight++;
        return (w >>> 2) << 1 | 1;
    }

    /**
     * Reports how a permitted call ended.
     *
     * @param permit what {@link #tryAcquire()} returned
     * @param outcome how the call ended
     * @throws IllegalArgumentException for {@link #NOT_PERMITTED} or another negative permit
     */
    public void record(long permit, Outcome outcome) {
        if (permit < 0) {
            throw new IllegalArgumentException("record() needs a permit from tryAcquire(), not " + permit);
        }
        if (!failure[outcome.ordinal()] && !ignored(outcome) && consecutiveFailures == 0
                && word == permit >>> 1 << 2) {
            return; // a success while closed with nothing to reset
        }
        recordSlow(permit, outcome);
    }

    private synchronized void recordSlow(long permit, Outcome outcome) {
        long w = word;
        if (permit >>> 1 != w >>> 2) {
            return; // issued before the last transition
        }
        State s = STATES[(int) (w & 3)];
        boolean failed = failure[outcome.ordinal()];
        if (s == State.CLOSED) {
            if (failed) {
                consecutiveFailures++;
                if (consecutiveFailures >= failureThreshold) {
                    enter(State.OPEN, clock.getAsLong());
                }
            } else if (!ignored(outcome)) {
                consecutiveFailures = 0;
            }
        } else if (s == State.HALF_OPEN) {
            trialsInFlight--;
            if (failed) {
                enter(State.OPEN, clock.getAsLong());
            } else if (!ignored(outcome) && ++trialSuccesses >= successThreshold) {
                enter(State.CLOSED, clock.getAsLong());
            }
        }
    }

    private static boolean ignored(Outcome o) {
        return o == Outcome.REJECTED || o == Outcome.CIRCUIT_OPEN;
    }

    /** Holds the lock. Starts a new generation in state {@code to}. */
    private long enter(State to, long now) {
        State from = STATES[(int) (word & 3)];
        consecutiveFailures = 0;
        trialSuccesses = 0;
        trialsInFlight = 0;
        if (to == State.OPEN) {
            openUntil = now + openForNanos;
        }
        long w = ((word >>> 2) + 1) << 2 | to.ordinal();
        word = w;
        listener.onTransition(from, to, now);
        return w;
    }

    /**
     * Closes the breaker now (a new version of the route starts with a clean slate), forgetting
     * counts and outstanding permits. Does nothing when already closed.
     */
    public synchronized void reset() {
        if ((word & 3) != State.CLOSED.ordinal()) {
            enter(State.CLOSED, clock.getAsLong());
        }
    }

    /** @return the current state ({@code OPEN} until the first call after {@code openFor} finds it over) */
    public State state() {
        return STATES[(int) (word & 3)];
    }

    /** @return nanoseconds until an open breaker lets a trial through (for {@code Retry-After}); 0 when not open */
    public long retryAfterNanos() {
        if ((word & 3) != State.OPEN.ordinal()) {
            return 0;
        }
        return Math.max(0, openUntil - clock.getAsLong());
    }

    /** @return consecutive failures counted while closed */
    public int consecutiveFailures() {
        return consecutiveFailures;
    }
}
