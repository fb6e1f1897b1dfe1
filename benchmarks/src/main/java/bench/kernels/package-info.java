/**
 * The code the benchmarks meter: small compute kernels, an allocation-heavy workload and a
 * runaway loop, each a {@link java.util.function.LongSupplier} so that the plain and the
 * instrumented copy are called the same way.
 *
 * <p>This package plays the part of handler code, so it lives outside {@code dev.ringfence}: the
 * instrumenter denies handler references to any {@code dev/ringfence/} class other than the API,
 * which would turn the kernels' own field accesses into denials. Kernels must not depend on
 * anything but the JDK.
 */
package bench.kernels;
