package dev.ringfence.agent;

import dev.ringfence.agent.attach.IsolatedStart;
import java.lang.instrument.Instrumentation;

/**
 * The class named by {@code Premain-Class}, {@code Agent-Class} and {@code Launcher-Agent-Class}.
 * It keeps no state and lets nothing escape into the host: every failure is reported on stderr.
 */
public final class AgentEntry {
    private AgentEntry() {
    }

    /**
     * Called before the host's {@code main} with {@code -javaagent:ringfence-agent.jar[=args]}.
     *
     * @param args agent arguments, {@code key=value} pairs separated by commas
     * @param inst the instrumentation service
     */
    public static void premain(String args, Instrumentation inst) {
        start(args, inst);
    }

    /**
     * Called when the agent is loaded into a running JVM, or by {@code java -jar} through
     * {@code Launcher-Agent-Class}.
     *
     * @param args agent arguments
     * @param inst the instrumentation service
     */
    public static void agentmain(String args, Instrumentation inst) {
        if (args != null && args.startsWith(IsolatedStart.PREFIX)) {
            IsolatedStart.run(args, inst); // attach or detach: method budgets, in a loader of their own
            return;
        }
        start(args, inst);
    }

    /**
     * For the agent-less JVM that records a process-tier child's start-up cache
     * ({@code StartupTrainer}): runs what the agent's start-up thread runs beside the gates, none
     * of which needs the instrumentation service or puts anything in force. Never throws.
     */
    public static void rehearseStart() {
        try {
            Agent.rehearsePrimer();
        } catch (RuntimeException | LinkageError e) {
            // the cache holds less of the start linked; nothing else depends on it
        }
    }

    private static void start(String args, Instrumentation inst) {
        try {
            Agent.start(args, inst);
        } catch (Throwable t) {
            System.err.println("ringfence: the agent did not start: " + t);
        }
    }
}
