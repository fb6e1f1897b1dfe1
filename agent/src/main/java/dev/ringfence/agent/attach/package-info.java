/**
 * Attach to a running JVM: method budgets on a host's own methods, put in place by retransforming
 * its loaded classes, and taken out again by a detach that restores their bytecode and proves that
 * the agent's class loader was collected. The runtime here lives in a class loader of its own
 * ({@link dev.ringfence.agent.attach.IsolatedStart}); instrumented host code reaches it through the
 * bridge on the boot class path ({@code dev.ringfence.boot.BudgetProbes}), and each budgeted call
 * is metered on the host's thread by {@code dev.ringfence.limiter.HostMeters}.
 */
package dev.ringfence.agent.attach;
