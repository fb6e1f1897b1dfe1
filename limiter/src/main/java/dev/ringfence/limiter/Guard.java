package dev.ringfence.limiter;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.MutableCallSite;

/**
 * The switch behind the {@link Metering#GUARD} probes of one handler version: a
 * {@link MutableCallSite} that every guarded back-edge and method entry of the version's classes
 * is linked to. While no invocation of the version has tripped, its target does nothing and the
 * JIT compiles the probes away. When one trips, the guard is <em>armed</em>: the target becomes a
 * check of the current thread's meter, compiled code that inlined the old target is deoptimised
 * (also in frames running right now, at their next safepoint poll), and the tripped thread throws
 * its abort at its next back-edge or entry. Threads of other invocations pass the check and run
 * on. When every tripped invocation has left the handler's code the guard is disarmed again.
 *
 * <p>Thread-safe. Arming and disarming cost a deoptimisation of the version's compiled code
 * each, so they happen once per tripped invocation, not per check.
 */
public final class Guard {
    private static final MethodType TYPE = MethodType.methodType(void.class);
    private static final MethodHandle NOTHING = MethodHandles.empty(TYPE);
    private static final MethodHandle CHECK;
    /** The guard of instrumented code whose loader is not a {@link SandboxedLoader}. */
    private static final Guard SHARED = new Guard();

    static {
        try {
            CHECK = MethodHandles.lookup().findStatic(Probes.class, "guardCheck", TYPE);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final MutableCallSite site = new MutableCallSite(NOTHING);
    private int armed; // guarded by this
    private long arms; // guarded by this

    /** Creates a guard, disarmed. */
    public Guard() {
    }

    /**
     * The guard of code defined by a loader: its own when it is a {@link SandboxedLoader}, else
     * one shared by all such code (benchmarks, tests).
     *
     * @param loader a class loader, may be null
     * @return its guard
     */
    public static Guard of(ClassLoader loader) {
        if (loader instanceof SandboxedLoader) {
            Guard g = ((SandboxedLoader) loader).guard();
            if (g != null) {
                return g;
            }
        }
        return SHARED;
    }

    MutableCallSite site() {
        return site;
    }

    /** Arms the guard for one more tripped invocation. */
    synchronized void arm() {
        arms++;
        if (armed++ == 0) {
            site.setTarget(CHECK);
            MutableCallSite.syncAll(new MutableCallSite[] {site});
        }
    }

    /** One tripped invocation has left the handler's code: disarms the guard when it was the last. */
    synchronized void disarm() {
        if (armed > 0 && --armed == 0) {
            site.setTarget(NOTHING);
            MutableCallSite.syncAll(new MutableCallSite[] {site});
        }
    }

    /** @return how many tripped invocations hold the guard armed now */
    public synchronized int armedBy() {
        return armed;
    }

    /** @return how many times invocations have armed the guard since it was made */
    public synchronized long arms() {
        return arms;
    }
}
