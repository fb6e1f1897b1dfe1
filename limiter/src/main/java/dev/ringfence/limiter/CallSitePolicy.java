package dev.ringfence.limiter;

import java.util.List;

/**
 * The class policy applied when handler bytecode is linked (instrumented): which references are
 * rewritten, and which denied APIs a class mentions (for the {@code check} report).
 *
 * <p>Capabilities (exit, processes, threads, files, sockets, Unsafe, setAccessible …) are denied
 * by gates inside the JDK, so that reflection, method handles and JDK helpers cannot go around
 * them; this class only handles what depends on who calls (a class loader climb is harmless for
 * JDK code and denied for handler code) and references to the sandbox's own internals.
 */
final class CallSitePolicy {
    /**
     * Owner prefixes and member names that the {@code check} report lists as denied APIs. The
     * gates enforce them at run time whatever path reaches them; this list only informs.
     */
    private static final List<String[]> REPORTED = List.of(
            new String[] {"java/lang/System", "exit"},
            new String[] {"java/lang/Runtime", "exit"},
            new String[] {"java/lang/Runtime", "halt"},
            new String[] {"java/lang/Runtime", "exec"},
            new String[] {"java/lang/Runtime", "load"},
            new String[] {"java/lang/Runtime", "loadLibrary"},
            new String[] {"java/lang/Runtime", "addShutdownHook"},
            new String[] {"java/lang/System", "load"},
            new String[] {"java/lang/System", "loadLibrary"},
            new String[] {"java/lang/System", "setProperty"},
            new String[] {"java/lang/System", "setProperties"},
            new String[] {"java/lang/System", "clearProperty"},
            new String[] {"java/lang/System", "getenv"},
            new String[] {"java/lang/System", "setOut"},
            new String[] {"java/lang/System", "setErr"},
            new String[] {"java/lang/System", "setIn"},
            new String[] {"java/lang/ProcessBuilder", "start"},
            new String[] {"java/lang/ProcessHandle", "*"},
            new String[] {"java/lang/Thread", "start"},
            new String[] {"java/lang/Thread", "startVirtualThread"},
            new String[] {"java/util/concurrent/ForkJoinPool", "commonPool"},
            new String[] {"java/util/concurrent/CompletableFuture", "*Async"},
            new String[] {"java/util/concurrent/Executors", "new*"},
            new String[] {"sun/misc/Unsafe", "*"},
            new String[] {"java/lang/reflect/AccessibleObject", "setAccessible"},
            new String[] {"java/lang/reflect/AccessibleObject", "trySetAccessible"},
            new String[] {"java/lang/reflect/Field", "setAccessible"},
            new String[] {"java/lang/reflect/Method", "setAccessible"},
            new String[] {"java/lang/reflect/Constructor", "setAccessible"},
            new String[] {"java/lang/invoke/MethodHandles", "privateLookupIn"},
            new String[] {"java/io/FileInputStream", "<init>"},
            new String[] {"java/io/FileOutputStream", "<init>"},
            new String[] {"java/io/RandomAccessFile", "<init>"},
            new String[] {"java/io/FileReader", "<init>"},
            new String[] {"java/io/FileWriter", "<init>"},
            new String[] {"java/nio/file/Files", "*"},
            new String[] {"java/net/Socket", "<init>"},
            new String[] {"java/net/ServerSocket", "<init>"},
            new String[] {"java/net/DatagramSocket", "<init>"},
            new String[] {"java/net/URL", "openConnection"},
            new String[] {"java/net/URL", "openStream"},
            new String[] {"java/net/http/HttpClient", "*"},
            new String[] {"java/nio/channels/SocketChannel", "open"},
            new String[] {"java/lang/management/ManagementFactory", "*"},
            new String[] {"java/lang/ClassLoader", "getSystemClassLoader"},
            new String[] {"java/lang/ClassLoader", "getPlatformClassLoader"},
            new String[] {"java/lang/ClassLoader", "getParent"});

    private CallSitePolicy() {
    }

    /**
     * Whether handler code may not reference this class at all.
     *
     * @param internalName a class's internal name
     * @return true for the sandbox's own classes other than the API
     */
    static boolean deniedOwner(String internalName) {
        String n = internalName;
        while (n.startsWith("[")) {
            n = n.substring(1);
        }
        if (n.startsWith("L") && n.endsWith(";")) {
            n = n.substring(1, n.length() - 1);
        }
        return SandboxPackages.internal(n);
    }

    /**
     * The API name to report when handler code mentions a denied API, or null.
     *
     * @param owner the owner's internal name
     * @param name the member name
     * @return a readable name like {@code java.lang.Runtime.exit}, or null when not denied
     */
    static String reported(String owner, String name) {
        for (String[] r : REPORTED) {
            if (owner.equals(r[0]) && matches(r[1], name)) {
                return owner.replace('/', '.') + "." + name;
            }
        }
        if (owner.startsWith("jdk/internal/") || owner.startsWith("sun/")) {
            return owner.replace('/', '.') + "." + name;
        }
        return null;
    }

    private static boolean matches(String pattern, String name) {
        if (pattern.equals("*")) {
            return true;
        }
        if (pattern.startsWith("*")) {
            return name.endsWith(pattern.substring(1));
        }
        if (pattern.endsWith("*")) {
            return name.startsWith(pattern.substring(0, pattern.length() - 1));
        }
        return pattern.equals(name);
    }
}
