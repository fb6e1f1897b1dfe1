package dev.ringfence.agent.it;

import dev.ringfence.limiter.SandboxThread;

/**
 * A host whose first act is to start a {@link SandboxThread} (as a host's own pool of sandbox
 * threads does, or JMH's workers in the benchmarks) that loads a class of the host from the class
 * path before any invocation ran: class loading passes file gates on that thread. Prints
 * {@code loaded=…} when the class loaded.
 */
public final class SandboxThreadHostMain {
    private SandboxThreadHostMain() {
    }

    /**
     * @param args none
     * @throws InterruptedException when interrupted while waiting for the thread
     */
    public static void main(String[] args) throws InterruptedException {
        Thread t = new SandboxThread(null, () -> System.out.println("loaded=" + Loaded.name()), "host-sandbox", 0);
        t.start();
        t.join(60_000);
    }

    /** Loaded first on the sandbox thread. */
    static final class Loaded {
        private Loaded() {
        }

        static String name() {
            return "yes";
        }
    }
}
