package dev.ringfence.limiter;

import dev.ringfence.api.Budgets;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Runs tasks the way an HTTP front does: on one of an executor's {@linkplain
 * MeteredExecutor#hostThreads host threads} through {@link MeteredExecutor#runHere}, taking the
 * answer from whichever comes first, the call's return or the abandonment callback.
 */
final class OnHostThread {
    private final MeteredExecutor executor;
    private final ExecutorService hosts;

    OnHostThread(MeteredExecutor executor) {
        this.executor = executor;
        this.hosts = Executors.newCachedThreadPool(executor.hostThreads("test-host-"));
    }

    <T> RunResult<T> run(Budgets b, Policy policy, ClassLoader loader, CpuQuota quota, Callable<T> task) {
        CompletableFuture<RunResult<T>> answer = new CompletableFuture<>();
        hosts.execute(() -> {
            try {
                answer.complete(executor.runHere(b, policy, loader, quota, task, answer::complete));
            } catch (HandedOffException e) {
                // answered by the callback already
            } catch (RuntimeException | Error e) {
                answer.completeExceptionally(e);
            }
        });
        try {
            return answer.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException) {
                throw (RuntimeException) e.getCause();
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
