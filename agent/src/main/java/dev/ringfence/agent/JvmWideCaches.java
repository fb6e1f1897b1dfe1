package dev.ringfence.agent;

/**
 * Fills, on a host thread at start-up, the JDK's JVM-wide caches that pick their providers
 * through the current thread's context class loader the first time they are used. Left to fill
 * themselves, the first use could come from a sandbox thread, whose context loader is a handler's:
 * the handler's provider would then serve the whole JVM, its host threads included, ungated and
 * unmetered. (JDK 18 and later choose the name-service resolver that way.) {@code java.time}
 * registers its chronologies, once for the JVM, the first time one is asked for, on whatever
 * thread asks: here, not under a handler's gates and budgets. The security providers, whose list
 * is read from the JDK's configuration at first use, are loaded here too: the class cache's
 * digests need them on a process-tier child's way to its first request (5-9 ms there on JDK 25).
 *
 * <p>Nothing here may throw into the host: each cache is primed on its own, and a failure only
 * leaves that cache to fill itself later.
 */
final class JvmWideCaches {
    private JvmWideCaches() {
    }

    /** Primes every cache; never throws. */
    static void prime() {
        ClassLoader was = Thread.currentThread().getContextClassLoader();
        try {
            Thread.currentThread().setContextClassLoader(ClassLoader.getSystemClassLoader());
            run(() -> java.net.InetAddress.getByName("localhost")); // selects the resolver (JDK 18+)
            // registers them (what a context loader offers later is looked up, never kept); listing
            // them all also ran a context-loader lookup, a third of the cost, for nothing kept
            run(() -> java.time.chrono.Chronology.of("ISO"));
            run(() -> java.security.MessageDigest.getInstance("SHA-256")); // the security providers
        } finally {
            Thread.currentThread().setContextClassLoader(was);
        }
    }

    private interface Step {
        Object run() throws Exception;
    }

    private static void run(Step step) {
        try {
            step.run();
        } catch (Exception | LinkageError e) {
            // this cache fills itself later; nothing else to do at start-up
        }
    }
}
