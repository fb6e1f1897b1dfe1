package dev.ringfence.agent;

import dev.ringfence.agent.config.AgentConfig;
import dev.ringfence.agent.gates.Gates;
import dev.ringfence.limiter.GateStatus;
import java.lang.instrument.Instrumentation;

/** Starts the sandbox runtime in this JVM: installs the gates, then marks the sandbox ready. */
final class Agent {
    private static boolean started;

    private Agent() {
    }

    static synchronized void start(String args, Instrumentation inst) {
        if (started) {
            return;
        }
        AgentConfig config = AgentConfig.parse(args);
        JvmWideCaches.prime();
        if (config.gatesOn()) {
            Gates.install(inst);
            GateStatus.markInstalled();
        }
        started = true;
    }
}
