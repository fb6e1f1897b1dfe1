/**
 * The two classes that gated JDK methods call. The agent copies them to a jar it appends to the
 * boot class path before anything loads them, so that JDK classes (defined by the boot loader)
 * can link against them; every other ringfence class stays on the application class path.
 * Nothing here may reference a class outside this package and {@code java.base}.
 */
package dev.ringfence.boot;
