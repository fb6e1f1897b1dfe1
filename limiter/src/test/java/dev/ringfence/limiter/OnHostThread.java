package dev.ringfence.limiter;

import dev.ringfence.api.Budgets;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs tasks the way an HTTP front does: on one of an executor's {@linkplain
 * MeteredExecutor#hostThreads host threads} through {@link MeteredExecutor#runHere}. The answer is
 * whichever comes first, the call's return or the watchdog's; then, so that a test can tell a
 * thread that stopped from one that did not, it waits until the host thread is back or was
 * abandoned, and in the second case returns the abandonment's result ({@code abandoned()} true).
 */
final class OnHostThread {
    private final MeteredExecutor executor;
    private final ExecutorService hosts;

    OnHostThread(MeteredExecutor executor) {
        this.executor = executor;
        this.hosts = Executors.newCachedThreadPool(executor.hostThreads("test-host-"));
    }

    <T> RunResult<T> run(Budgets b, Policy policy, ClassLoader loader, ShareQuota quota, Callable<T> task) {
        CompletableFuture<RunResult<T>> answer = new CompletableFuture<>();
        CompletableFuture<RunResult<T>> abandoned = new CompletableFuture<>();
        CompletableFuture<Boolean> back = new CompletableFuture<>();
        hosts.execute(() -> {
            try {
                answer.complete(executor.runHere(b, policy, loader, quota, task, answer::complete, abandoned::complete));
            } catch (HandedOffException e) {
                // answered by the watchdog already
            } catch (RuntimeException | Error e) {
                answer.completeExceptionally(e);
            } finally {
                back.complete(true);
            }
        });
        try {
            RunResult<T> r = answer.get();
            CompletableFuture.anyOf(back, abandoned).get(60, TimeUnit.SECONDS);
            return abandoned.isDone() ? abandoned.get() : r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the host thread neither came back nor was abandoned", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException) {
                throw (RuntimeException) e.getCause();
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
