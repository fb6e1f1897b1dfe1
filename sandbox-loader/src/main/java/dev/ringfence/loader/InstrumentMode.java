package dev.ringfence.loader;

/**
 * When a version's classes are instrumented.
 *
 * <p>{@link #ON_DEMAND} is the default: a jar often carries many classes a handler never touches,
 * and with a warm {@link InstrumentedClassCache} loading a class costs one small file read. Its
 * price is that the first invocation touching a class pays for instrumenting it (or reading it
 * from the cache) on the handler's thread, inside that invocation's budgets.
 *
 * <p>{@link #AT_LOAD} instruments every class on the thread that loads the version, before the
 * version can go live. Use it when a version that cannot be instrumented must be refused at
 * reload rather than fail at its first request, when no invocation should pay for class
 * preparation, and for tools ({@code check}, benchmarks) that measure a cold load. It holds the
 * instrumented bytes of every class not loaded yet, besides the originals.
 */
public enum InstrumentMode {
    /** Instrument each class when it is first loaded (consulting the cache). */
    ON_DEMAND,
    /** Instrument every class when the version is loaded; a failure fails the load. */
    AT_LOAD
}
