/**
 * JMH benchmarks and load drivers for ringfence; their figures, and the commands that reproduce
 * them, go to {@code BENCHMARKS.md}.
 *
 * <p>{@link dev.ringfence.benchmarks.KernelLoader} defines the kernels of {@code bench.kernels}
 * plain or instrumented, so that both copies run side by side in one JVM;
 * {@link dev.ringfence.benchmarks.SandboxThreadPool} makes JMH's own worker threads
 * {@link dev.ringfence.limiter.SandboxThread}s, so that instrumented code finds a real meter.
 */
package dev.ringfence.benchmarks;
