package dev.ringfence.agent.pipeline;

import dev.ringfence.api.Outcome;

/** A handler's constructor did not end {@code OK} inside the sandbox. */
public final class HandlerStartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Outcome outcome;

    HandlerStartException(Outcome outcome, String message) {
        super(message);
        this.outcome = outcome;
    }

    /** @return how the construction ended */
    public Outcome outcome() {
        return outcome;
    }
}
