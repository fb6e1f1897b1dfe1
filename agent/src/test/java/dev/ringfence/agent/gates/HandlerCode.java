package dev.ringfence.agent.gates;

import dev.ringfence.boot.Gate;
import java.util.function.Consumer;

/**
 * Calls a gate as handler code would: {@link SandboxedTestLoader} defines its own copy of this
 * class, so the gate sees a handler frame above the gated call.
 */
public final class HandlerCode implements Consumer<Object[]> {
    /** Creates it; called reflectively on the sandboxed copy. */
    public HandlerCode() {
    }

    /**
     * @param call the site, {@code a}, {@code b} and {@code n}
     */
    @Override
    public void accept(Object[] call) {
        Gate.check((Integer) call[0], call[1], call[2], (Integer) call[3]);
    }
}
