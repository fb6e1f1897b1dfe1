/**
 * The capability gates: the deny policy enforced inside the JDK, at the methods every path to a
 * capability goes through (the gate table), so that reflection, method handles and JDK helpers
 * cannot go around it. Owns the table, the bytecode weaving of JDK classes, the rules a gate
 * applies on a sandbox thread, and installation into a running JVM.
 */
package dev.ringfence.agent.gates;
