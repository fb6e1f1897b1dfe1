package dev.ringfence.agent.process;

import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * One request to a child that runs several at once ({@link WorkerProcess} with {@code concurrency}
 * above 1): sent through the child's {@link ChildMux}, its answer waited for by frame id, with
 * the same endings as the one-at-a-time path. A deadline that passes with the request in the child
 * kills the child, so the other requests it was running end {@code CRASHED} (their callers see it
 * die); a child that dies ends them all so.
 *
 * <p>Called by a holder of one of the worker's turns; stateless apart from the call's own slot.
 */
final class ChildExchange {
    private ChildExchange() {
    }

    static InvocationResult run(WorkerProcess w, Request request, long start, long deadline) {
        WorkerProcess.Child c = w.readyChild(deadline);
        if (c == null) {
            String why = w.startFailure();
            return InvocationResult.refused(request.requestId(), why != null ? Outcome.ERROR : Outcome.TIMEOUT, null,
                    why != null ? "the worker process could not start: " + why
                            : "no worker process was ready within the deadline",
                    System.nanoTime() - start, "-");
        }
        ChildMux.Slot slot = new ChildMux.Slot(request.requestId());
        long frameId = c.mux.send(request, deadline - System.nanoTime(), slot);
        if (frameId < 0) {
            w.retire(c, true);
            return WorkerProcess.ended(request, c, Outcome.CRASHED,
                    "the worker process's request ring was full; it was replaced", start);
        }
        WorkerProcess.wake(c);
        IdleStrategy idle = new BackoffIdleStrategy(10_000, 100, 1_000, 100_000);
        while (true) {
            Frames.ResponseFrame f = c.mux.poll(slot);
            if (f != null) {
                return w.answered(c, f, start);
            }
            if (!c.process.isAlive()) {
                f = c.mux.drain(slot); // it may have answered just before it died
                if (f != null) {
                    return w.answered(c, f, start);
                }
                w.retire(c, false);
                return WorkerProcess.ended(request, c, Outcome.CRASHED, "the worker process (pid " + c.process.pid()
                        + ") died with the request (exit code " + c.process.exitValue() + ")", start);
            }
            if (System.nanoTime() - deadline >= 0) {
                c.mux.forget(frameId);
                w.retire(c, true);
                return WorkerProcess.ended(request, c, Outcome.TIMEOUT, "the deadline passed with the request in the"
                        + " worker process; the process (pid " + c.process.pid() + ") was killed and is being replaced",
                        start);
            }
            idle.idle();
        }
    }
}
