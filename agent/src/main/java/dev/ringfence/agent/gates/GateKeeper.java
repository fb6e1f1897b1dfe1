package dev.ringfence.agent.gates;

import dev.ringfence.boot.GateHook;
import dev.ringfence.limiter.BudgetAbort;
import dev.ringfence.limiter.Meter;
import dev.ringfence.limiter.Policy;
import dev.ringfence.limiter.Probes;
import dev.ringfence.limiter.SandboxThread;
import dev.ringfence.limiter.SandboxedLoader;
import java.lang.invoke.MethodHandles;
import java.security.ProtectionDomain;

/**
 * Decides gated calls on sandbox threads: lets everything through when no handler is running
 * (or the sandbox's own code runs privileged), else applies the site's rule to the invocation's
 * policy and, to deny, trips the meter with {@code DENIED} and throws its abort.
 *
 * <p>A call is denied only when handler code asked for it: the first frame above the gated
 * method that is not the JDK's (reflection and method-handle frames skipped) must be a handler
 * class. Thus the sandbox's and the host's own code on a sandbox thread (class loading, the
 * invocation's context) is never denied, and neither is a JDK static initialiser that handler code
 * merely triggered, so that a denial never leaves a JDK class unusable for the whole JVM. Handler
 * code reaches no host code that could act for it: the API's value classes and the probes.
 *
 * <p>Assumptions and guarantees: called only by {@code Gate.check} on a sandbox thread. While a
 * rule is evaluated the meter is privileged, so the rule's own use of gated JDK methods (paths,
 * class loaders, name resolution, stack walks) passes through without recursion. A rule that fails
 * denies. The stack is walked only on the way to a denial; allowed calls cost the rule alone.
 */
final class GateKeeper implements GateHook {
    private static final ClassLoader PLATFORM = ClassLoader.getPlatformClassLoader();

    private final FileRules files = new FileRules();
    private final Object virtualThreadScheduler;

    /**
     * @param virtualThreadScheduler the JDK's scheduler of virtual threads, or null: unparking a
     *     host's virtual thread submits to it, and that must not count as starting a thread
     */
    /**
     * System properties that describe the host rather than the JVM: its command line and class
     * path (the names of the host's own jars and main class), its user and directories. The JDK
     * itself reads some of them on a handler's thread (the working directory, to resolve a
     * relative path): only the handler's own asking is denied.
     */
    static final java.util.Set<String> HOST_PROPERTIES = java.util.Set.of("sun.java.command", "java.class.path",
            "jdk.module.path", "jdk.module.upgrade.path", "jdk.module.main", "jdk.module.main.class",
            "java.library.path", "sun.boot.library.path", "jdk.debug", "sun.java.launcher", "user.home", "user.dir",
            "user.name", "java.io.tmpdir");

    GateKeeper(Object virtualThreadScheduler) {
        this.virtualThreadScheduler = virtualThreadScheduler;
    }

    @Override
    public void check(int site, Object a, Object b, int n) {
        Meter m = Probes.gateMeter();
        if (m == null) {
            return;
        }
        Sites.Site s = Sites.get(site);
        if (s != null && s.spec().kind() == GateKind.HOST_PROPERTY && a instanceof String && !Gates.hostProperty(a)) {
            return; // the common case of a frequent gate: an ordinary property
        }
        BudgetAbort abort = null;
        boolean was = m.setGateWindow(true);
        try {
            String denied;
            try {
                denied = s == null ? "an unknown gate #" + site : decide(s, m.policy(), a, b, n);
            } catch (RuntimeException | LinkageError e) {
                denied = (s == null ? "gate #" + site : s.api()) + " (the check failed: " + e + ")";
            }
            if (denied != null && Callers.handlerAsked()) {
                abort = m.deny(denied); // still privileged: tripping may load classes
            }
        } finally {
            m.setGateWindow(was);
        }
        if (abort != null) {
            throw abort;
        }
    }

    /**
     * Charges a reservation of memory outside the heap to the invocation's native budget; one
     * that would pass it trips the meter with {@code NATIVE_EXCEEDED} and throws its abort, before
     * anything is reserved. Reservations the sandbox's own or the JDK's code makes on a handler's
     * thread for itself are charged while they fit, and let through uncharged when they would not
     * (the stack is walked only then). A native segment of an implicit session ({@code Arena.ofAuto})
     * reserves through {@code Bits.reserveMemory} next, and is charged there.
     */
    @Override
    public void reserve(int site, Object a, long bytes) {
        Meter m = Probes.gateMeter();
        if (m == null || bytes <= 0 || (a != null && a.getClass().getName().equals(IMPLICIT_SESSION))) {
            return;
        }
        if (m.fitsNative(bytes)) {
            m.chargeNative(bytes);
            return;
        }
        BudgetAbort abort = null;
        boolean was = m.setGateWindow(true);
        try {
            boolean handler;
            try {
                handler = Callers.handlerAsked();
            } catch (RuntimeException | LinkageError e) {
                handler = true;
            }
            if (handler) {
                Sites.Site s = Sites.get(site);
                abort = m.exceedNative(bytes, s == null ? "a reservation at gate #" + site : s.api());
            }
        } finally {
            m.setGateWindow(was);
        }
        if (abort != null) {
            throw abort;
        }
    }

    /** The session class of {@code Arena.ofAuto()} (JDK 22+), whose segments also reserve through {@code Bits}. */
    private static final String IMPLICIT_SESSION = "jdk.internal.foreign.ImplicitSession";

    /** Set while the finalizer thread's check runs: its own use of gated methods passes. */
    private boolean inFinalizerCheck;

    /**
     * The finalizer thread runs handler code when a JDK object with a finalizer holds a handler
     * object (a {@code javax.swing.DebugGraphics} around a handler's {@code Graphics}): there every
     * gated call is denied while a handler class is on the stack, with the default deny policy's
     * leniency for ordinary system properties. Only the one finalizer thread comes here.
     */
    @Override
    public void checkFinalizer(int site, Object a, Object b, int n) {
        if (inFinalizerCheck) {
            return;
        }
        Sites.Site s = Sites.get(site);
        if (s != null && s.spec().kind() == GateKind.HOST_PROPERTY && a instanceof String && !Gates.hostProperty(a)) {
            return;
        }
        boolean handler;
        inFinalizerCheck = true;
        try {
            handler = Callers.handlerOnStack();
        } catch (RuntimeException | LinkageError e) {
            handler = true;
        } finally {
            inFinalizerCheck = false;
        }
        if (handler) {
            throw new SecurityException("ringfence: denied on the finalizer thread, handler code asking: "
                    + (s == null ? "gate #" + site : s.api()));
        }
    }

    /**
     * Applies a site's rule.
     *
     * @return null to allow, else the denial message: the API and, when useful, what it was asked
     */
    String decide(Sites.Site site, Policy policy, Object a, Object b, int n) {
        String why = why(site.spec().kind(), policy, a, b, n);
        if (why == null) {
            return null;
        }
        return why.isEmpty() ? site.api() : site.api() + " (" + why + ")";
    }

    /** @return null to allow, "" to deny with the API name alone, else a detail */
    private String why(GateKind kind, Policy policy, Object a, Object b, int n) {
        switch (kind) {
            case DENY:
                return "";
            case THREADS:
                return policy.threadsAllowed() || (a != null && a == virtualThreadScheduler) ? null : "";
            case OTHER_THREAD:
                return otherThread(a);
            case LIVE_THREAD:
                return a instanceof Thread && ((Thread) a).isAlive() ? "" : null;
            case NATIVE:
                return nativeLibrary(policy, a, b);
            case ACCESSIBLE:
                return accessible((Class<?>) a, (Class<?>) b);
            case PRIVATE_LOOKUP:
                return a instanceof Class<?> && Callers.sandboxed((Class<?>) a) ? null : "on " + Callers.name((Class<?>) a);
            case LOADER_NEW:
                return newLoader(a);
            case LOADER_DEFINE:
                return a instanceof SandboxedLoader || Callers.jdk(a.getClass()) ? null : "in " + a.getClass().getName();
            case LOOKUP_HOST:
                return lookupHost((MethodHandles.Lookup) a, (Class<?>) b);
            case REFLECT_HOST:
                return a instanceof Class<?> && Callers.internal((Class<?>) a) && Callers.actsForHandler(Callers.originCaller())
                        ? "on " + ((Class<?>) a).getName() : null;
            case RESOURCE_HOST:
                return a instanceof Class<?> && Callers.host((Class<?>) a) && Callers.actsForHandler(Callers.originCaller())
                        ? "of " + ((Class<?>) a).getName() : null;
            case CLASS_LOADER:
                return classLoader(a);
            case CALLER:
                return Callers.actsForHandler(Callers.immediateCaller()) ? "" : null;
            case HOST_PROPERTY:
                return Gates.hostProperty(a)
                        && Callers.actsForHandler(Callers.immediateCaller()) ? "" + a : null;
            case ENV:
                return a instanceof String && policy.mayReadEnv((String) a) ? null
                        : a == null ? "the whole environment" : (String) a;
            default:
                return fileOrNetwork(kind, policy, a, b, n);
        }
    }

    /**
     * A native library (or native access) is allowed for the JDK's own classes, and for handler
     * code only where the policy allows it and this JVM honours that: a process-tier child.
     */
    private static String nativeLibrary(Policy policy, Object a, Object b) {
        if (a instanceof Class<?> && Callers.jdk((Class<?>) a)) {
            return null;
        }
        String what = (b instanceof String ? b + " " : "") + "from " + Callers.name((Class<?>) a);
        if (!policy.nativeLibrariesAllowed()) {
            return what;
        }
        return Gates.nativeLibrariesHonoured() ? null : Gates.NATIVE_ONLY_IN_A_CHILD + ": " + what;
    }

    private String fileOrNetwork(GateKind kind, Policy policy, Object a, Object b, int n) {
        switch (kind) {
            case FILE_READ:
                return firstDenial(files.read(policy, a), b == null ? null : files.read(policy, b));
            case FILE_WRITE:
                return firstDenial(files.write(policy, a), b == null ? null : files.write(policy, b));
            case FILE_OPEN:
                return files.open(policy, a, b);
            case FILE_RAF:
                return files.randomAccess(policy, a, b);
            case FILE_COPY:
                return firstDenial(files.read(policy, a), files.write(policy, b));
            case FILE_TEMP:
                return files.temporary(policy, a);
            case SOCKET:
                return NetRules.socket(policy);
            case CONNECT:
                return NetRules.connect(policy, a, n);
            case BIND:
                return NetRules.bind(policy, a, n);
            case SEND:
                return NetRules.send(policy, a);
            case RESOLVE:
                return NetRules.resolve(policy, a);
            case REVERSE:
                return NetRules.reverse(policy, a);
            default:
                return "no rule for " + kind;
        }
    }

    private static String firstDenial(String first, String second) {
        return first != null ? first : second;
    }

    /** Handler code may open up its own classes' members, and nothing else; the JDK may open what it needs. */
    private static String accessible(Class<?> caller, Class<?> declaring) {
        if (Callers.sandboxed(declaring)) {
            return null;
        }
        if (caller != null && !Callers.sandboxed(caller)) {
            return null; // the JDK or the sandbox itself: not a handler's request
        }
        return "on " + Callers.name(declaring);
    }

    /** Another live thread may be controlled only when the handler started it (it carries the handler's loader). */
    private static String otherThread(Object a) {
        if (!(a instanceof Thread)) {
            return null;
        }
        Thread target = (Thread) a;
        Thread self = Thread.currentThread();
        if (target == self || !target.isAlive()) {
            return null;
        }
        if (target instanceof SandboxThread) {
            // another invocation's thread, even of the same version: an HTTP front's thread goes
            // back to host I/O the moment its invocation ends, and an interrupt landing then would
            // close a connection of another request
            return "thread " + target.getName();
        }
        ClassLoader own = self.getContextClassLoader();
        if (own instanceof SandboxedLoader && target.getContextClassLoader() == own) {
            return null;
        }
        return "thread " + target.getName();
    }

    private static String newLoader(Object loader) {
        if (loader instanceof SandboxedLoader) {
            return null;
        }
        Class<?> type = loader.getClass();
        if (type.getName().equals("jdk.internal.reflect.DelegatingClassLoader") && Callers.jdk(type)) {
            return null; // JDK 17's reflection makes one per generated accessor, on the caller's thread
        }
        // any other loader would define code the instrumenter never saw (an XSLT translet, say)
        return type.getName();
    }

    private static String lookupHost(MethodHandles.Lookup lookup, Class<?> refc) {
        if (refc == null || !Callers.internal(refc)) {
            return null;
        }
        Class<?> own = lookup.lookupClass();
        if (Callers.internal(own) && own.getClassLoader() == refc.getClassLoader()
                && (lookup.lookupModes() & MethodHandles.Lookup.PRIVATE) != 0) {
            // the host or ringfence linking its own code, lambdas included: a lookup with private
            // access to the class, as only its own code gets (MethodHandles.lookup() in it). A
            // lookup another class moved there (Lookup.in, publicLookup().in) has lost it.
            return null;
        }
        if (refc == Probes.class && Callers.sandboxed(own) && Callers.linkingConstant()) {
            // the bootstrap of a guarded probe the instrumenter wrote: the call-site policy
            // rewrites every reference to the sandbox a handler's own class file makes
            return null;
        }
        return "on " + refc.getName();
    }

    /** A loader handler code could reach from {@code a}: denied when it is the host's and handler code asks. */
    private static String classLoader(Object a) {
        ClassLoader l;
        if (a instanceof Class<?>) {
            l = ((Class<?>) a).getClassLoader();
        } else if (a instanceof Module) {
            l = ((Module) a).getClassLoader();
        } else if (a instanceof ProtectionDomain) {
            l = ((ProtectionDomain) a).getClassLoader();
        } else {
            l = ((ClassLoader) a).getParent();
        }
        if (l == null || l == PLATFORM || l instanceof SandboxedLoader) {
            return null;
        }
        return Callers.actsForHandler(Callers.immediateCaller()) ? "of " + (a instanceof Class<?> ? ((Class<?>) a).getName() : a) : null;
    }
}
