package dev.ringfence.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.pipeline.CircuitBreaker.State;
import dev.ringfence.api.Outcome;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CircuitBreakerTest {
    private static final long OPEN_FOR = 30_000_000_000L;

    private final ManualClock clock = new ManualClock(1_000);
    private final List<String> transitions = new ArrayList<>();
    private final CircuitBreaker breaker = new CircuitBreaker(5, 3, OPEN_FOR, 3, CircuitBreaker.DEFAULT_FAILURES, clock,
            (from, to, at) -> transitions.add(from + "->" + to + "@" + at));

    private void run(Outcome outcome) {
        long permit = breaker.tryAcquire();
        assertTrue(permit >= 0, "expected the call to be let through in " + breaker.state());
        breaker.record(permit, outcome);
    }

    private void open() {
        for (int i = 0; i < 5; i++) {
            run(Outcome.ERROR);
        }
        assertEquals(State.OPEN, breaker.state());
        transitions.clear();
    }

    @Test
    void shouldOpenAfterTheConfiguredConsecutiveFailures() {
        for (int i = 0; i < 4; i++) {
            run(Outcome.ERROR);
        }
        assertEquals(State.CLOSED, breaker.state());
        assertEquals(4, breaker.consecutiveFailures());
        run(Outcome.TIMEOUT);
        assertEquals(State.OPEN, breaker.state());
        assertEquals(List.of("CLOSED->OPEN@1000"), transitions);
    }

    @Test
    void shouldStartCountingAgainAfterASuccess() {
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 4; i++) {
                run(Outcome.CPU_EXCEEDED);
            }
            run(Outcome.OK);
        }
        assertEquals(State.CLOSED, breaker.state());
        assertEquals(0, breaker.consecutiveFailures());
    }

    @ParameterizedTest
    @EnumSource(value = Outcome.class, names = {"ERROR", "TIMEOUT", "CPU_EXCEEDED", "FUEL_EXCEEDED", "ALLOC_EXCEEDED",
        "STACK_EXCEEDED", "NATIVE_EXCEEDED", "CRASHED"})
    void shouldCountTheIssuesFailureOutcomesByDefault(Outcome outcome) {
        for (int i = 0; i < 5; i++) {
            run(outcome);
        }
        assertEquals(State.OPEN, breaker.state());
    }

    @ParameterizedTest
    @EnumSource(value = Outcome.class, names = {"OK", "DENIED", "REJECTED", "CIRCUIT_OPEN"})
    void shouldNotCountOtherOutcomesByDefault(Outcome outcome) {
        for (int i = 0; i < 20; i++) {
            run(outcome);
        }
        assertEquals(State.CLOSED, breaker.state());
    }

    @Test
    void shouldCountWhatTheCallerCallsAFailure() {
        CircuitBreaker deniedOnly = new CircuitBreaker(2, 1, OPEN_FOR, 1, EnumSet.of(Outcome.DENIED), clock, (f, t, a) -> { });
        deniedOnly.record(deniedOnly.tryAcquire(), Outcome.ERROR);
        deniedOnly.record(deniedOnly.tryAcquire(), Outcome.ERROR);
        assertEquals(State.CLOSED, deniedOnly.state());
        deniedOnly.record(deniedOnly.tryAcquire(), Outcome.DENIED);
        deniedOnly.record(deniedOnly.tryAcquire(), Outcome.DENIED);
        assertEquals(State.OPEN, deniedOnly.state());
        assertThrows(IllegalArgumentException.class,
                () -> new CircuitBreaker(1, 1, 1, 1, Set.of(Outcome.REJECTED), clock, (f, t, a) -> { }));
    }

    @Test
    void shouldRefuseCallsWhileOpenAndSayWhenToRetry() {
        open();
        assertEquals(CircuitBreaker.NOT_PERMITTED, breaker.tryAcquire());
        assertEquals(OPEN_FOR, breaker.retryAfterNanos());
        clock.advance(OPEN_FOR - 1);
        assertEquals(CircuitBreaker.NOT_PERMITTED, breaker.tryAcquire());
        assertEquals(1, breaker.retryAfterNanos());
        assertEquals(List.of(), transitions);
    }

    @Test
    void shouldTurnHalfOpenWhenOpenForHasPassedAndAdmitABoundedNumberOfTrials() {
        open();
        clock.advance(OPEN_FOR);
        long[] trials = {breaker.tryAcquire(), breaker.tryAcquire(), breaker.tryAcquire()};
        assertEquals(State.HALF_OPEN, breaker.state());
        assertEquals(List.of("OPEN->HALF_OPEN@" + (1_000 + OPEN_FOR)), transitions);
        for (long t : trials) {
            assertTrue(t >= 0);
        }
        assertEquals(CircuitBreaker.NOT_PERMITTED, breaker.tryAcquire(), "a fourth trial at once is refused");
        breaker.record(trials[0], Outcome.REJECTED);
        long again = breaker.tryAcquire();
        assertTrue(again >= 0, "a trial that never ran gives its slot back");
        assertEquals(0, breaker.retryAfterNanos());
    }

    @Test
    void shouldCloseAfterTheConfiguredConsecutiveTrialSuccesses() {
        open();
        clock.advance(OPEN_FOR);
        run(Outcome.OK);
        run(Outcome.OK);
        assertEquals(State.HALF_OPEN, breaker.state());
        run(Outcome.DENIED);
        assertEquals(State.CLOSED, breaker.state());
        assertEquals(List.of("OPEN->HALF_OPEN@" + (1_000 + OPEN_FOR), "HALF_OPEN->CLOSED@" + (1_000 + OPEN_FOR)),
                transitions);
        assertEquals(0, breaker.consecutiveFailures());
    }

    @Test
    void shouldOpenAgainOnTheFirstFailedTrial() {
        open();
        clock.advance(OPEN_FOR);
        run(Outcome.OK);
        clock.advance(7);
        run(Outcome.CRASHED);
        assertEquals(State.OPEN, breaker.state());
        assertEquals(OPEN_FOR, breaker.retryAfterNanos(), "a fresh open period starts");
        assertEquals("HALF_OPEN->OPEN@" + (1_007 + OPEN_FOR), transitions.get(1));
    }

    @Test
    void shouldIgnoreResultsOfCallsAdmittedBeforeTheLastTransition() {
        long straggler = breaker.tryAcquire();
        open();
        clock.advance(OPEN_FOR);
        long trial = breaker.tryAcquire();
        breaker.record(straggler, Outcome.ERROR);
        assertEquals(State.HALF_OPEN, breaker.state(), "a failure from the closed period does not reopen it");
        breaker.record(trial, Outcome.OK);
        run(Outcome.OK);
        long lateTrial = breaker.tryAcquire();
        run(Outcome.OK);
        assertEquals(State.CLOSED, breaker.state());
        breaker.record(lateTrial, Outcome.ERROR);
        assertEquals(0, breaker.consecutiveFailures(), "a trial from the half-open period is not counted once closed");
    }

    @Test
    void shouldCloseOnReset() {
        open();
        breaker.reset();
        assertEquals(State.CLOSED, breaker.state());
        assertEquals(List.of("OPEN->CLOSED@1000"), transitions);
        assertTrue(breaker.tryAcquire() >= 0);
    }

    @Test
    void shouldRefuseARecordWithoutAPermit() {
        assertThrows(IllegalArgumentException.class, () -> breaker.record(CircuitBreaker.NOT_PERMITTED, Outcome.OK));
    }

    @Test
    void shouldTakeItsSettingsFromTheRoute() {
        CircuitBreaker b = CircuitBreaker.of(new RouteSettings.Breaker(1, 2, 10), clock, (f, t, a) -> { });
        b.record(b.tryAcquire(), Outcome.ERROR);
        assertEquals(State.OPEN, b.state());
        clock.advance(10);
        long first = b.tryAcquire();
        long second = b.tryAcquire();
        assertTrue(first >= 0 && second >= 0);
        assertEquals(CircuitBreaker.NOT_PERMITTED, b.tryAcquire(), "as many trials at once as successes to close");
        b.record(first, Outcome.OK);
        b.record(second, Outcome.OK);
        assertEquals(State.CLOSED, b.state());
    }

    @Test
    void shouldPassAndRefuseCallsWithoutAllocating() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        long refused = 0;
        for (int round = 0; round < 2; round++) {
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 50_000; i++) {
                breaker.record(breaker.tryAcquire(), Outcome.OK);
            }
            long allocated = mx.getThreadAllocatedBytes(tid) - before;
            if (round == 1) {
                assertTrue(allocated < 10_000, "50000 closed calls allocated " + allocated + " bytes");
            }
        }
        open();
        for (int round = 0; round < 2; round++) {
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 50_000; i++) {
                refused += breaker.tryAcquire() == CircuitBreaker.NOT_PERMITTED ? 1 : 0;
            }
            long allocated = mx.getThreadAllocatedBytes(tid) - before;
            if (round == 1) {
                assertTrue(allocated < 10_000, "50000 refusals allocated " + allocated + " bytes");
            }
        }
        assertEquals(100_000, refused);
    }
}
