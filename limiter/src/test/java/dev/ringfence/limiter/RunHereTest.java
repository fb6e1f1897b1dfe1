package dev.ringfence.limiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** {@link MeteredExecutor#runHere}: the invocation runs on the host's thread and leaves it as it was. */
class RunHereTest {
    private static final long MS = 1_000_000L;
    private static final MeteredExecutor EXECUTOR = new MeteredExecutor("here", 200 * MS, 0);
    private static final ExecutorService HOSTS = Executors.newCachedThreadPool(EXECUTOR.hostThreads("host-"));
    private static final ClassLoader LOADER = new Compiler.InstrumentingLoader(Map.of(), Metering.GUARD);
    private static final ThreadLocal<String> HOST_LOCAL = new ThreadLocal<>();
    private static final ThreadLocal<String> TASK_LOCAL = new ThreadLocal<>();

    @AfterAll
    static void stop() {
        HOSTS.shutdownNow();
    }

    private static Budgets wall(long ms) {
        return new Budgets(ms * MS, 0, 0, 0);
    }

    @Test
    void shouldRunOnTheHostThreadAndLeaveItsStateAsItWas() throws Exception {
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        AtomicReference<String> seenHostLocal = new AtomicReference<>("unset");
        CompletableFuture<String> after = CompletableFuture.supplyAsync(() -> {
            Thread me = Thread.currentThread();
            HOST_LOCAL.set("host's");
            ClassLoader hostLoader = me.getContextClassLoader();
            String name = me.getName();
            RunResult<String> r = EXECUTOR.runHere(wall(10_000), Policy.DENY_ALL, LOADER, null, () -> {
                ranOn.set(Thread.currentThread());
                seenHostLocal.set(HOST_LOCAL.get());
                TASK_LOCAL.set("task's");
                Thread.currentThread().setName("renamed by the task");
                return "ok:" + (Thread.currentThread().getContextClassLoader() == LOADER);
            }, x -> { }, x -> { });
            assertEquals(Outcome.OK, r.outcome(), r.message());
            return r.value() + " ran-here=" + (ranOn.get() == me) + " host-local=" + HOST_LOCAL.get() + " task-local="
                    + TASK_LOCAL.get() + " loader-back=" + (me.getContextClassLoader() == hostLoader) + " name-back="
                    + me.getName().equals(name);
        }, HOSTS);
        assertEquals("ok:true ran-here=true host-local=host's task-local=null loader-back=true name-back=true",
                after.get(30, TimeUnit.SECONDS));
        assertNull(seenHostLocal.get(), "the task must not see the host's thread locals");
    }

    @Test
    void shouldLeaveNoInterruptOnTheHostThreadAfterATrip() throws Exception {
        CompletableFuture<String> after = CompletableFuture.supplyAsync(() -> {
            RunResult<Object> r = EXECUTOR.runHere(wall(50), Policy.DENY_ALL, LOADER, null, () -> {
                try {
                    Thread.sleep(10_000);
                } catch (InterruptedException e) {
                    // the watchdog's interrupt: end at once, as well-behaved code does
                }
                return null;
            }, x -> { }, x -> { });
            return r.outcome() + " interrupted=" + Thread.currentThread().isInterrupted();
        }, HOSTS);
        assertEquals("TIMEOUT interrupted=false", after.get(30, TimeUnit.SECONDS));
    }

    @Test
    void shouldAnswerAtTheDeadlineAndAbandonAThreadStillStuckAfterTheGrace() throws Exception {
        Object lock = new Object();
        CompletableFuture<RunResult<Object>> answer = new CompletableFuture<>();
        CompletableFuture<RunResult<Object>> abandoned = new CompletableFuture<>();
        CompletableFuture<String> back = new CompletableFuture<>();
        long before = EXECUTOR.abandonedThreads();
        synchronized (lock) {
            HOSTS.execute(() -> {
                HOST_LOCAL.set("host's");
                try {
                    EXECUTOR.runHere(wall(50), Policy.DENY_ALL, LOADER, null, () -> {
                        synchronized (lock) { // entering a monitor ignores interrupts
                            return "late";
                        }
                    }, answer::complete, abandoned::complete);
                    back.complete("returned");
                } catch (HandedOffException e) {
                    back.complete("handed off, host-local=" + HOST_LOCAL.get());
                } catch (RuntimeException e) {
                    back.complete(e.toString());
                }
            });
            RunResult<Object> r = answer.get(30, TimeUnit.SECONDS);
            assertEquals(Outcome.TIMEOUT, r.outcome(), r.message());
            assertFalse(r.abandoned(), "answered at the deadline, before the grace");
            RunResult<Object> lost = abandoned.get(30, TimeUnit.SECONDS);
            assertTrue(lost.abandoned(), lost.message());
            assertTrue(lost.message().contains("abandoned"), lost.message());
            assertFalse(back.isDone(), "the host thread is still stuck");
        }
        assertEquals("handed off, host-local=host's", back.get(30, TimeUnit.SECONDS));
        assertEquals(before + 1, EXECUTOR.abandonedThreads());
    }

    @Test
    void shouldAnswerAtTheDeadlineButNotAbandonAThreadThatComesBackWithinTheGrace() throws Exception {
        CompletableFuture<RunResult<Object>> answer = new CompletableFuture<>();
        CompletableFuture<RunResult<Object>> abandoned = new CompletableFuture<>();
        CompletableFuture<String> back = new CompletableFuture<>();
        long before = EXECUTOR.abandonedThreads();
        HOSTS.execute(() -> {
            try {
                EXECUTOR.runHere(wall(50), Policy.DENY_ALL, LOADER, null, () -> {
                    long until = System.nanoTime() + 80 * MS; // deaf to interrupts, back 30 ms after the deadline
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                    return "late";
                }, answer::complete, abandoned::complete);
                back.complete("returned");
            } catch (HandedOffException e) {
                back.complete("handed off");
            }
        });
        RunResult<Object> r = answer.get(30, TimeUnit.SECONDS);
        assertEquals(Outcome.TIMEOUT, r.outcome(), r.message());
        assertEquals("handed off", back.get(30, TimeUnit.SECONDS));
        assertFalse(abandoned.isDone(), "back within the 200 ms grace: late, not lost");
        assertEquals(before, EXECUTOR.abandonedThreads());
    }

    @Test
    void shouldHandTheTaskToAWorkerWhenCalledFromAnyOtherThread() {
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        RunResult<String> r = EXECUTOR.runHere(wall(10_000), Policy.DENY_ALL, LOADER, null, () -> {
            ranOn.set(Thread.currentThread());
            return "ok";
        }, x -> { }, x -> { });
        assertEquals(Outcome.OK, r.outcome());
        assertTrue(ranOn.get() instanceof SandboxThread);
        assertFalse(ranOn.get() == Thread.currentThread());
    }

    @Test
    void shouldNotNestAnInvocationInsideAnother() throws Exception {
        CompletableFuture<String> inner = CompletableFuture.supplyAsync(() -> {
            Thread host = Thread.currentThread();
            RunResult<String> outer = EXECUTOR.runHere(wall(10_000), Policy.DENY_ALL, LOADER, null, () -> {
                RunResult<String> nested = EXECUTOR.runHere(wall(10_000), Policy.DENY_ALL, LOADER, null,
                        () -> Thread.currentThread() == host ? "same thread" : "a worker", x -> { }, x -> { });
                return nested.value();
            }, x -> { }, x -> { });
            return outer.value();
        }, HOSTS);
        assertEquals("a worker", inner.get(30, TimeUnit.SECONDS));
    }

    @Test
    void shouldStillRefuseAFuelBudgetOnGuardedProbes() throws Exception {
        CompletableFuture<Class<?>> thrown = CompletableFuture.supplyAsync(() -> {
            try {
                EXECUTOR.runHere(new Budgets(10_000 * MS, 0, 1_000, 0), Policy.DENY_ALL, LOADER, null, () -> "x", x -> { }, x -> { });
                return null;
            } catch (IllegalArgumentException e) {
                return e.getClass();
            }
        }, HOSTS);
        assertSame(IllegalArgumentException.class, thrown.get(30, TimeUnit.SECONDS));
        assertThrows(IllegalArgumentException.class, () -> EXECUTOR.runHere(new Budgets(10_000 * MS, 0, 1_000, 0),
                Policy.DENY_ALL, LOADER, null, () -> "x", x -> { }, x -> { }));
    }
}
