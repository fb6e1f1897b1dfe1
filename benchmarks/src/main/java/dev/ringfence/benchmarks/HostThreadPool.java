package dev.ringfence.benchmarks;

import dev.ringfence.limiter.MeteredExecutor;
import java.util.concurrent.TimeUnit;

/**
 * JMH's worker pool made of the host threads of one {@link MeteredExecutor} ({@link #SANDBOX}),
 * so that benchmark code can run invocations in place with {@link MeteredExecutor#runHere}, as
 * {@code serve} runs them on its HTTP threads, or hand them to the executor's workers with
 * {@link MeteredExecutor#run}, as {@code invoke} and the in-process API do. Selected in the forked
 * JVM with {@link SandboxThreadPool#EXECUTOR} and {@link #EXECUTOR_CLASS}; its threads are
 * {@link dev.ringfence.limiter.SandboxThread}s, so {@link ThreadCpuProfiler} counts them (and the
 * executor's workers).
 */
public final class HostThreadPool extends SandboxThreadPool {
    /** The executor class property, for {@code @Fork(jvmArgsAppend = ...)}. */
    static final String EXECUTOR_CLASS = "-Djmh.executor.class=dev.ringfence.benchmarks.HostThreadPool";

    /** The executor whose host threads JMH's workers are; one per forked JVM. */
    static final MeteredExecutor SANDBOX = new MeteredExecutor("bench-sandbox", TimeUnit.MILLISECONDS.toNanos(100), 0);

    /**
     * Creates the pool; called by JMH.
     *
     * @param threads how many worker threads JMH needs
     * @param prefix the prefix of their names
     */
    public HostThreadPool(int threads, String prefix) {
        super(threads, SANDBOX.hostThreads(prefix + "-host-"));
    }
}
