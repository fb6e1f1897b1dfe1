package dev.ringfence.limiter;

import dev.ringfence.api.Budgets;
import java.util.concurrent.Callable;

/**
 * Every case of {@link CountingBudgetEnforcementTest}, run on the caller's own thread
 * ({@link MeteredExecutor#runHere}) with the watchdog in the caller's place.
 */
class InlineCountingBudgetEnforcementTest extends CountingBudgetEnforcementTest {
    private static final OnHostThread HOST = new OnHostThread(EXECUTOR);

    @Override
    <T> RunResult<T> execute(Budgets b, Policy policy, ClassLoader loader, ShareQuota quota, Callable<T> task) {
        return HOST.run(b, policy, loader, quota, task);
    }
}
