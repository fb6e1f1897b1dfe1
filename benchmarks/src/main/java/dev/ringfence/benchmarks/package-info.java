/**
 * JMH benchmarks and load drivers for ringfence; their figures, and the commands that reproduce
 * them, go to {@code BENCHMARKS.md}.
 *
 * <p>{@link dev.ringfence.benchmarks.KernelLoader} defines the kernels of {@code bench.kernels}
 * plain or instrumented, so that both copies run side by side in one JVM;
 * {@link dev.ringfence.benchmarks.SandboxThreadPool} makes JMH's own worker threads
 * {@link dev.ringfence.limiter.SandboxThread}s, so that instrumented code finds a real meter;
 * {@link dev.ringfence.benchmarks.HostThreadPool} makes them host threads of one sandbox executor,
 * on which {@link dev.ringfence.benchmarks.AgentBenchmark} runs invocations in place, in forks that
 * carry the real agent jar.
 */
package dev.ringfence.benchmarks;
