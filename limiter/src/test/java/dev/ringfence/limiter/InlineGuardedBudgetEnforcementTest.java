package dev.ringfence.limiter;

import dev.ringfence.api.Budgets;
import java.util.concurrent.Callable;

/**
 * Every case of {@link GuardedBudgetEnforcementTest}, run on the caller's own thread
 * ({@link MeteredExecutor#runHere}) with the watchdog in the caller's place.
 */
class InlineGuardedBudgetEnforcementTest extends GuardedBudgetEnforcementTest {
    private static final OnHostThread HOST = new OnHostThread(EXECUTOR);

    @Override
    <T> RunResult<T> execute(Budgets b, Policy policy, ClassLoader loader, ShareQuota quota, Callable<T> task) {
        return HOST.run(b, policy, loader, quota, task);
    }
}
