/**
 * Well-behaved sample handlers: what ordinary handler code looks like, and proof that it runs
 * unchanged inside the sandbox (its own reflection, a JSON library on its classpath, the Java
 * language features the instrumenter must preserve).
 *
 * <p>Each handler here ends {@link dev.ringfence.api.Outcome#OK} under any reasonable budget.
 * The hostile handlers live in {@code dev.ringfence.samples.budget} (one per way of running past
 * a budget) and {@code dev.ringfence.samples.deny} (one per denied capability).
 */
package dev.ringfence.samples;
