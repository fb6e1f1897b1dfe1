package dev.ringfence.agent.gates;

import java.lang.instrument.Instrumentation;

/** Installs the capability gates in JDK classes. (Placeholder: being written.) */
public final class Gates {
    private Gates() {
    }

    /**
     * Installs every gate.
     *
     * @param inst the instrumentation service
     */
    public static void install(Instrumentation inst) {
        throw new UnsupportedOperationException("gates are not written yet");
    }
}
