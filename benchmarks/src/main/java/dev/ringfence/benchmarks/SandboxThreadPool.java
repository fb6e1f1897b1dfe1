package dev.ringfence.benchmarks;

import dev.ringfence.limiter.SandboxThread;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * JMH's worker pool made of {@link SandboxThread}s, so that benchmark code can attach a meter to
 * the thread that runs it. Selected in the forked JVM with
 * {@code -Djmh.executor=CUSTOM -Djmh.executor.class=dev.ringfence.benchmarks.SandboxThreadPool};
 * JMH 1.37 creates it through the public {@code (int, String)} constructor.
 *
 * <p>A fixed pool: a worker keeps its thread for the whole run, so a meter attached in a
 * trial-level setup stays with the state that attached it.
 */
public class SandboxThreadPool extends ThreadPoolExecutor {
    /** The executor properties, for {@code @Fork(jvmArgsAppend = ...)}. */
    static final String EXECUTOR = "-Djmh.executor=CUSTOM";
    /** The executor class property, for {@code @Fork(jvmArgsAppend = ...)}. */
    static final String EXECUTOR_CLASS = "-Djmh.executor.class=dev.ringfence.benchmarks.SandboxThreadPool";

    /**
     * Creates the pool; called by JMH.
     *
     * @param threads how many worker threads JMH needs
     * @param prefix the prefix of their names
     */
    public SandboxThreadPool(int threads, String prefix) {
        this(threads, factory(prefix));
    }

    /**
     * A fixed pool of threads from another factory, for pools whose sandbox threads are made
     * elsewhere ({@link HostThreadPool}).
     *
     * @param threads how many worker threads JMH needs
     * @param factory makes them
     */
    SandboxThreadPool(int threads, ThreadFactory factory) {
        super(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), factory);
    }

    private static ThreadFactory factory(String prefix) {
        AtomicInteger serial = new AtomicInteger();
        return task -> new SandboxThread(null, task, prefix + "-sandbox-" + serial.incrementAndGet(), 0);
    }
}
