/**
 * Hostile sample handlers, one per way of running past a budget: spinning, allocating (in handler
 * code, inside the JDK, in one call or many), recursing, sleeping, backtracking inside a JDK regex,
 * and every trick for surviving a budget trip (catching {@code Throwable}, swallowing interrupts,
 * looping or returning in {@code finally}, catching {@link java.lang.StackOverflowError}).
 *
 * <p>Each class is deliberately tiny and does exactly what its name says; its Javadoc names the
 * outcome it must end with under which budget. None of them may ever end {@code OK}; the only
 * acceptable answers are budget outcomes. Some never end by themselves (no budget, no end): run
 * them only with the budgets their Javadoc names.
 */
package dev.ringfence.samples.budget;
