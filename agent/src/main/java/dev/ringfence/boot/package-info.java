/**
 * The classes the agent puts on the boot class path. {@code Gate} and {@code GateHook} are what
 * gated JDK methods call; {@code BudgetProbes} and {@code BudgetHook} are what a host's classes
 * call once an attached agent has instrumented them. The agent copies them to a jar it appends
 * to the boot class path before anything loads them, so that JDK classes (defined by the boot
 * loader) and a host's classes (whatever their loader) can link against them; every other
 * ringfence class stays on the application class path, or in the attached runtime's own loader.
 * Nothing here may reference a class outside this package and {@code java.base}.
 */
package dev.ringfence.boot;
