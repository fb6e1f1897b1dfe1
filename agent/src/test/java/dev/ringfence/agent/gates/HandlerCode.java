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
     * @param call the site, {@code a}, {@code b} and {@code n}; or, to reserve memory, the site,
     *     {@code a} and the bytes (a {@code Long})
     */
    @Override
    public void accept(Object[] call) {
        if (call.length == 3) {
            Gate.reserve((Integer) call[0], call[1], (Long) call[2]);
            return;
        }
        Gate.check((Integer) call[0], call[1], call[2], (Integer) call[3]);
    }
}
