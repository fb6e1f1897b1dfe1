/**
 * Budgets and their enforcement.
 *
 * <p>{@link dev.ringfence.limiter.Instrumenter} rewrites handler bytecode so that loop back-edges,
 * method entries, exception handlers and array allocations call {@link dev.ringfence.limiter.Probes}.
 * The probes charge the {@link dev.ringfence.limiter.Meter} of the running invocation, which is
 * reached through the current {@link dev.ringfence.limiter.SandboxThread}. A budget trip throws the
 * meter's {@link dev.ringfence.limiter.BudgetAbort}, which instrumented code cannot swallow.
 * {@link dev.ringfence.limiter.MeteredExecutor} runs one invocation and reports how it ended.
 */
package dev.ringfence.limiter;
