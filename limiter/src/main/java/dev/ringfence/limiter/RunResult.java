package dev.ringfence.limiter;

import dev.ringfence.api.Outcome;

/**
 * How one metered run ended and what it used.
 *
 * @param outcome how it ended
 * @param value what the task returned, when {@code outcome} is {@link Outcome#OK}
 * @param message why it did not end {@code OK}, else null
 * @param errorType the class name of what the task threw, when it threw; the throwable itself is
 *     never handed out, since its methods may be handler code that must not run outside the sandbox
 * @param wallNanos wall-clock time from start to the answer
 * @param cpuNanos CPU time of the task's thread
 * @param allocatedBytes bytes the task's thread allocated
 * @param fuel ticks charged, or -1 when the handler's probes count none ({@link Metering#GUARD})
 * @param abandoned true when the thread did not stop within the grace and was left behind
 * @param <T> the task's result type
 */
public record RunResult<T>(Outcome outcome, T value, String message, String errorType, long wallNanos,
        long cpuNanos, long allocatedBytes, long fuel, boolean abandoned) {
}
