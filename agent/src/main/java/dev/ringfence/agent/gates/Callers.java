package dev.ringfence.agent.gates;

import dev.ringfence.api.Handler;
import dev.ringfence.boot.Gate;
import dev.ringfence.limiter.SandboxedLoader;
import java.util.Iterator;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Tells whose a class is (the JDK's, the handler's, the host's) and who called a gated method.
 * Stack walks skip reflection and method-handle frames (the walker's default), so a call made
 * through {@code Method.invoke} or a method handle is attributed to the code that made it.
 *
 * <p>Used only on the slow path of a gate, on a sandbox thread with the gates open; stateless
 * and thread-safe.
 */
final class Callers {
    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    /** Sees lambda proxies, method-handle and reflection frames: who chose the target of a call. */
    private static final StackWalker ALL_FRAMES = StackWalker.getInstance(
            java.util.Set.of(StackWalker.Option.RETAIN_CLASS_REFERENCE, StackWalker.Option.SHOW_HIDDEN_FRAMES));
    private static final ClassLoader API_LOADER = Handler.class.getClassLoader();
    private static final String SANDBOX = "dev.ringfence.";
    private static final String API = "dev.ringfence.api.";

    private static final Function<Stream<StackWalker.StackFrame>, Class<?>> IMMEDIATE = s -> {
        Iterator<StackWalker.StackFrame> it = pastGate(s);
        boolean throughInvoker = false;
        while (it.hasNext()) {
            StackWalker.StackFrame f = it.next();
            Class<?> c = f.getDeclaringClass();
            if (invoker(f, c)) {
                throughInvoker = true;
                continue;
            }
            if (!throughInvoker || !jdk(c) || f.getMethodName().equals("<clinit>")) {
                return c;
            }
            // a JDK method ran a handle, a method reference or a reflective call it was given:
            // whoever gave it chose the target, so look on for the first code that is not the JDK's
        }
        return null;
    };

    private static final Function<Stream<StackWalker.StackFrame>, Class<?>> ORIGIN = s -> {
        Iterator<StackWalker.StackFrame> it = pastGate(s);
        while (it.hasNext()) {
            Class<?> c = it.next().getDeclaringClass();
            if (!jdk(c)) {
                return c;
            }
        }
        return null;
    };

    private static final Function<Stream<StackWalker.StackFrame>, Boolean> HANDLER_ASKED = s -> {
        Iterator<StackWalker.StackFrame> it = pastGate(s);
        while (it.hasNext()) {
            StackWalker.StackFrame f = it.next();
            Class<?> c = f.getDeclaringClass();
            if (!jdk(c)) {
                return actsForHandler(c);
            }
            if (f.getMethodName().equals("<clinit>")) {
                return Boolean.FALSE;
            }
        }
        return Boolean.TRUE;
    };

    private static final Function<Stream<StackWalker.StackFrame>, Boolean> LINKING_CONSTANT = s -> {
        Iterator<StackWalker.StackFrame> it = pastGate(s);
        while (it.hasNext()) {
            StackWalker.StackFrame f = it.next();
            Class<?> c = f.getDeclaringClass();
            if (!jdk(c)) {
                return Boolean.FALSE;
            }
            if (c.getName().equals("java.lang.invoke.MethodHandleNatives")) {
                return f.getMethodName().equals("linkMethodHandleConstant");
            }
            if (!c.getName().equals("java.lang.invoke.MethodHandles$Lookup")) {
                // a JDK helper calling a lookup (ConstantBootstraps.invoke resolving a dynamic
                // constant, MethodHandle.invokeWithArguments): code chose what is looked up
                return Boolean.FALSE;
            }
        }
        return Boolean.FALSE;
    };

    private static final Function<Stream<StackWalker.StackFrame>, Boolean> HANDLER_ON_STACK =
            s -> s.anyMatch(f -> sandboxed(f.getDeclaringClass()));

    private Callers() {
    }

    /**
     * Runs every walk once from the calling host thread, on a stack deeper than a walk's first
     * batch of frames: the JDK spins the method handles that fill and grow a batch the first time
     * (two, in a JDK 25 child here, while its first request ran). What the walks find is dropped.
     *
     * @param depth frames still to add before walking
     */
    static void prime(int depth) {
        if (depth > 0) {
            prime(depth - 1);
            return;
        }
        handlerOnStack();
        linkingConstant();
        immediateCaller();
        originCaller();
        handlerAsked();
    }

    /** @return true when a frame of handler code is anywhere on the current thread's stack */
    static boolean handlerOnStack() {
        return ALL_FRAMES.walk(HANDLER_ON_STACK);
    }

    /** Moves past the gate's own frames and the gated method's frame. */
    private static Iterator<StackWalker.StackFrame> pastGate(Stream<StackWalker.StackFrame> s) {
        Iterator<StackWalker.StackFrame> all = s.iterator();
        while (all.hasNext()) {
            if (all.next().getDeclaringClass() == Gate.class) {
                break;
            }
        }
        if (!all.hasNext()) {
            return all;
        }
        String gated = all.next().getMethodName(); // the gated method
        // a JDK override or overload of the same name that delegates to it (RootLogger.addHandler
        // calls Logger.addHandler) is part of the same call: the caller is above it
        StackWalker.StackFrame next = null;
        while (all.hasNext()) {
            next = all.next();
            if (!(next.getMethodName().equals(gated) && jdk(next.getDeclaringClass()))) {
                break;
            }
            next = null;
        }
        StackWalker.StackFrame first = next;
        return new Iterator<>() {
            private StackWalker.StackFrame pending = first;

            @Override
            public boolean hasNext() {
                return pending != null || all.hasNext();
            }

            @Override
            public StackWalker.StackFrame next() {
                if (pending != null) {
                    StackWalker.StackFrame f = pending;
                    pending = null;
                    return f;
                }
                return all.next();
            }
        };
    }

    /**
     * Whether the gated call is the JVM resolving a method handle constant of a class file (the
     * bootstrap method of an {@code invokedynamic}, an {@code ldc}) rather than code asking: the
     * lookup's own frames, straight from {@code MethodHandleNatives.linkMethodHandleConstant}.
     * Not any linkage: a dynamic constant's bootstrap ({@code ConstantBootstraps.invoke}) runs a
     * lookup the class file chose, with arguments it chose.
     *
     * @return true when the JVM's linkage of a method handle constant, called from no code of the
     *     sandbox's, the host's or the handler's, made the call
     */
    static boolean linkingConstant() {
        return WALKER.walk(LINKING_CONSTANT);
    }

    /**
     * The class whose code called the gated method. A call through a method handle, a method
     * reference (a lambda proxy of the JDK's), a dynamic constant's bootstrap or reflection
     * belongs to whoever handed over the target: past such frames, the first class that is not
     * the JDK's ({@code Optional.map(System::getProperty)} in a handler is the handler's call;
     * a handler's own method reference is its own lambda proxy, which is the handler's too).
     *
     * @return the caller, or null
     */
    static Class<?> immediateCaller() {
        return ALL_FRAMES.walk(IMMEDIATE);
    }

    /** Frames that only pass a call on to a target someone else chose. */
    private static boolean invoker(StackWalker.StackFrame f, Class<?> c) {
        String n = c.getName();
        if (n.startsWith("jdk.internal.reflect.")) {
            return true; // reflective accessors, JDK 17's generated ones included
        }
        if (c == java.lang.reflect.Method.class) {
            return f.getMethodName().equals("invoke");
        }
        if (n.startsWith("java.lang.invoke.")) {
            // MethodHandle and ConstantBootstraps only where they call a handle (invokeWithArguments,
            // ConstantBootstraps.invoke); their other methods are the JDK's own code (JDK 25's
            // MethodHandle.asType asks the class loaders of the types it caches)
            return c.isHidden() || n.endsWith("$Holder") || n.startsWith("java.lang.invoke.LambdaForm$")
                    || ((c == java.lang.invoke.MethodHandle.class || c == java.lang.invoke.ConstantBootstraps.class)
                            && f.getMethodName().startsWith("invoke"));
        }
        return c.isHidden() && jdk(c); // a lambda proxy of a method reference in JDK code
    }

    /** @return the first class above the gated method that is not the JDK's, or null */
    static Class<?> originCaller() {
        return WALKER.walk(ORIGIN);
    }

    /**
     * Whether handler code asked for the gated call: the first frame above the gated method that
     * is not the JDK's is a handler class. False when that frame is the sandbox's or the host's
     * own code, and when a JDK static initialiser comes first (handler code may have caused the
     * class to initialise, but not chosen what its initialiser does). True, to be safe, when no
     * such frame is found.
     *
     * @return true when the call is the handler's
     */
    static boolean handlerAsked() {
        return WALKER.walk(HANDLER_ASKED);
    }

    /**
     * @param c a class
     * @return true for a class of the JDK (boot or platform loader), never for ringfence's own;
     *     also for a proxy class the JDK generated for JDK interfaces only (an annotation's, say:
     *     {@code jdk.proxyN.$ProxyM} of the boot or platform loader, in a dynamic module)
     */
    static boolean jdk(Class<?> c) {
        Module m = c.getModule();
        if (m.isNamed()) {
            if (m.getLayer() == null) { // a dynamic module: where java.lang.reflect.Proxy puts its classes
                ClassLoader l = c.getClassLoader();
                return (l == null || l == ClassLoader.getPlatformClassLoader()) && java.lang.reflect.Proxy.isProxyClass(c);
            }
            return m.getLayer() == ModuleLayer.boot() && !c.getName().startsWith(SANDBOX);
        }
        // JDK 17's generated reflection accessors: JDK code, each in a loader of its own
        ClassLoader l = c.getClassLoader();
        return l != null && l.getClass().getName().equals("jdk.internal.reflect.DelegatingClassLoader")
                && l.getClass().getModule().getLayer() == ModuleLayer.boot();
    }

    /**
     * Whether a frame of this class acts for the handler: handler code itself, or code that is
     * neither the JDK's (its boot layer) nor ringfence's — code that can only be on a sandbox
     * thread because handler code got it there, such as a class a JDK-internal class loader
     * defined (an XSLT translet, java.beans' trampoline) or a class in a dynamic module.
     *
     * @param c a class, or null
     * @return true for handler code and for such foreign code
     */
    static boolean actsForHandler(Class<?> c) {
        return c != null && (sandboxed(c) || (!jdk(c) && !c.getName().startsWith(SANDBOX)));
    }

    /**
     * @param c a class
     * @return true for a class defined by a sandbox loader: handler code
     */
    static boolean sandboxed(Class<?> c) {
        return c != null && c.getClassLoader() instanceof SandboxedLoader;
    }

    /**
     * @param c a class
     * @return true for a class of the host or of ringfence, the API included
     */
    static boolean host(Class<?> c) {
        return !jdk(c) && !sandboxed(c);
    }

    /**
     * @param c a class
     * @return true for a class of the host or of ringfence other than the API handlers compile against
     */
    static boolean internal(Class<?> c) {
        return host(c) && !(c.getName().startsWith(API) && c.getClassLoader() == API_LOADER);
    }

    /**
     * @param c a class, or null
     * @return its name, or {@code ?}
     */
    static String name(Class<?> c) {
        return c == null ? "?" : c.getName();
    }
}
