package dev.ringfence.agent.gates;

import static dev.ringfence.agent.gates.GateKind.ACCESSIBLE;
import static dev.ringfence.agent.gates.GateKind.BIND;
import static dev.ringfence.agent.gates.GateKind.CALLER;
import static dev.ringfence.agent.gates.GateKind.CLASS_LOADER;
import static dev.ringfence.agent.gates.GateKind.CONNECT;
import static dev.ringfence.agent.gates.GateKind.DENY;
import static dev.ringfence.agent.gates.GateKind.ENV;
import static dev.ringfence.agent.gates.GateKind.HOST_PROPERTY;
import static dev.ringfence.agent.gates.GateKind.LIVE_THREAD;
import static dev.ringfence.agent.gates.GateKind.LOADER_DEFINE;
import static dev.ringfence.agent.gates.GateKind.LOADER_NEW;
import static dev.ringfence.agent.gates.GateKind.LOOKUP_HOST;
import static dev.ringfence.agent.gates.GateKind.NATIVE;
import static dev.ringfence.agent.gates.GateKind.NATIVE_MEMORY;
import static dev.ringfence.agent.gates.GateKind.OTHER_THREAD;
import static dev.ringfence.agent.gates.GateKind.PRIVATE_LOOKUP;
import static dev.ringfence.agent.gates.GateKind.REFLECT_HOST;
import static dev.ringfence.agent.gates.GateKind.RESOLVE;
import static dev.ringfence.agent.gates.GateKind.RESOURCE_HOST;
import static dev.ringfence.agent.gates.GateKind.REVERSE;
import static dev.ringfence.agent.gates.GateKind.SEND;
import static dev.ringfence.agent.gates.GateKind.SOCKET;
import static dev.ringfence.agent.gates.GateKind.THREADS;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The gates: every JDK method that is a choke point of a capability, with the rule it applies.
 * Adding a gate is adding a row. A row whose method does not exist on the running JDK (JDK 17 and
 * JDK 25 differ) gates nothing there; {@link #capabilities()} lists what must be covered on every
 * JDK, and the agent refuses to mark the sandbox ready when a capability has no gate.
 *
 * <p>Choke points were chosen by reading the JDK 17 and 25 class files: reflection, method handles
 * and JDK helpers all end in these methods, so gating them covers every path to the capability.
 */
final class GateTable {
    /** Capability names, as they appear in reports. */
    static final String EXIT = "exit";
    static final String PROCESSES = "processes";
    static final String THREADS_CAP = "threads";
    static final String NATIVE_CAP = "native code";
    static final String NATIVE_MEMORY_CAP = "native memory";
    /**
     * The native state of one {@code java.util.zip.Deflater} at the default settings, as zlib
     * allocates it in {@code deflateInit2} (window, hash chains, pending buffer: 4 × 64 KiB, and
     * the state): charged per compressor, since it is allocated in native code no Java method sees.
     */
    static final long DEFLATER_NATIVE_BYTES = 264L << 10;
    /** The native state of one {@code java.util.zip.Inflater}: zlib's 32 KiB window and its state. */
    static final long INFLATER_NATIVE_BYTES = 40L << 10;
    static final String INTERNALS = "jdk and sandbox internals";
    static final String LOADERS = "class loaders";
    static final String STATE = "global state";
    static final String FILES = "files";
    static final String NETWORK = "network";
    static final String MANAGEMENT = "management";

    private static final String PATH_ARG = "p0";
    private static final String THIS = "this";

    private static final List<GateSpec> ROWS = build();

    /** The module of each table class that is not in {@code java.base}; the agent makes them read the gate. */
    private static final Map<String, String> MODULES = Map.ofEntries(
            Map.entry("java/lang/management/", "java.management"),
            Map.entry("javax/management/", "java.management"),
            Map.entry("com/sun/management/", "jdk.management"),
            Map.entry("java/util/logging/", "java.logging"),
            Map.entry("sun/misc/", "jdk.unsupported"),
            Map.entry("jdk/jfr/", "jdk.jfr"),
            Map.entry("javax/naming/", "java.naming"),
            Map.entry("java/rmi/", "java.rmi"),
            Map.entry("java/sql/", "java.sql"),
            Map.entry("java/beans/", "java.desktop"));

    private GateTable() {
    }

    /** @return every row, in table order */
    static List<GateSpec> rows() {
        return ROWS;
    }

    /** @return the capabilities the table protects; each needs at least one gate on every JDK */
    static Set<String> capabilities() {
        Set<String> out = new LinkedHashSet<>();
        for (GateSpec s : ROWS) {
            out.add(s.capability());
        }
        return Collections.unmodifiableSet(out);
    }

    /** @return the internal names of the classes the table gates */
    static Set<String> owners() {
        Set<String> out = new LinkedHashSet<>();
        for (GateSpec s : ROWS) {
            out.add(s.owner());
        }
        return Collections.unmodifiableSet(out);
    }

    /**
     * The rows for one class.
     *
     * @param owner the class's internal name
     * @return its rows, possibly none
     */
    static List<GateSpec> rowsFor(String owner) {
        List<GateSpec> out = BY_OWNER.get(owner);
        return out == null ? List.of() : out;
    }

    /** @return the names of the modules whose classes the table gates */
    static Set<String> modules() {
        Set<String> out = new LinkedHashSet<>();
        out.add("java.base");
        for (String owner : owners()) {
            out.add(moduleOf(owner));
        }
        return out;
    }

    /**
     * @param owner a table class
     * @return its class file in the JDK's image, or null when this JDK has none
     */
    static byte[] imageClassFile(String owner) {
        Optional<Module> m = ModuleLayer.boot().findModule(moduleOf(owner));
        if (m.isEmpty()) {
            return null;
        }
        try (InputStream in = m.get().getResourceAsStream(owner + ".class")) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * @param owner a table class, internal name
     * @return the name of its module
     */
    static String moduleOf(String owner) {
        for (Map.Entry<String, String> e : MODULES.entrySet()) {
            if (owner.startsWith(e.getKey())) {
                return e.getValue();
            }
        }
        return "java.base";
    }

    private static final Map<String, List<GateSpec>> BY_OWNER = index();

    private static Map<String, List<GateSpec>> index() {
        Map<String, List<GateSpec>> m = new LinkedHashMap<>();
        for (GateSpec s : ROWS) {
            m.computeIfAbsent(s.owner(), k -> new ArrayList<>()).add(s);
        }
        m.replaceAll((k, v) -> List.copyOf(v));
        return Collections.unmodifiableMap(m);
    }

    private static List<GateSpec> build() {
        List<GateSpec> t = new ArrayList<>();
        exitAndProcesses(t);
        threads(t);
        nativeCode(t);
        nativeMemory(t);
        internals(t);
        classLoaders(t);
        globalState(t);
        FileChokePoints.add(t);
        network(t);
        management(t);
        return List.copyOf(t);
    }

    private static void exitAndProcesses(List<GateSpec> t) {
        t.add(GateSpec.of(EXIT, DENY, "java/lang/Runtime", "exit", "(I)V"));
        t.add(GateSpec.of(EXIT, DENY, "java/lang/Runtime", "halt", "(I)V"));
        t.add(GateSpec.of(PROCESSES, DENY, "java/lang/ProcessBuilder", "start", null));
        t.add(GateSpec.of(PROCESSES, DENY, "java/lang/ProcessImpl", "start", null).api("java.lang.ProcessBuilder.start"));
        String handle = "java/lang/ProcessHandleImpl";
        t.add(GateSpec.of(PROCESSES, DENY, handle, "destroyProcess", "(Z)Z").api("java.lang.ProcessHandle.destroy"));
        // other processes' command lines, users and trees (the host's own command line included)
        for (String m : new String[] {"info", "parent", "children", "descendants", "get"}) {
            String api = m.equals("get") ? "java.lang.ProcessHandle.of" : "java.lang.ProcessHandle." + m;
            t.add(GateSpec.of(PROCESSES, DENY, handle, m, null).api(api));
        }
    }

    private static void threads(List<GateSpec> t) {
        String thread = "java/lang/Thread";
        String fjp = "java/util/concurrent/ForkJoinPool";
        String fjpApi = "java.util.concurrent.ForkJoinPool.submit";
        t.add(GateSpec.of(THREADS_CAP, THREADS, thread, "start", "()V").a(THIS));
        t.add(GateSpec.of(THREADS_CAP, THREADS, thread, "start", "(Ljdk/internal/vm/ThreadContainer;)V").a(THIS));
        t.add(GateSpec.of(THREADS_CAP, THREADS, "java/lang/VirtualThread", "start", "(Ljdk/internal/vm/ThreadContainer;)V")
                .a(THIS).api("java.lang.Thread.startVirtualThread"));
        // JDK 17: every submission from outside the pool ends in externalPush; JDK 25: in submissionQueue
        t.add(GateSpec.of(THREADS_CAP, THREADS, fjp, "externalPush", "(Ljava/util/concurrent/ForkJoinTask;)V").a(THIS).api(fjpApi));
        t.add(GateSpec.of(THREADS_CAP, THREADS, fjp, "submissionQueue", "(IZ)Ljava/util/concurrent/ForkJoinPool$WorkQueue;")
                .a(THIS).api(fjpApi));
        t.add(GateSpec.of(THREADS_CAP, THREADS, fjp, "scheduleDelayedTask", null).a(THIS)
                .api("java.util.concurrent.ForkJoinPool.schedule"));
        t.add(GateSpec.of(THREADS_CAP, THREADS, "java/util/concurrent/ThreadPoolExecutor", "execute", "(Ljava/lang/Runnable;)V"));
        t.add(GateSpec.of(THREADS_CAP, THREADS, "java/util/concurrent/ThreadPoolExecutor", "addWorker", "(Ljava/lang/Runnable;Z)Z")
                .api("java.util.concurrent.ThreadPoolExecutor.prestartCoreThread"));
        t.add(GateSpec.of(THREADS_CAP, THREADS, "java/util/concurrent/ScheduledThreadPoolExecutor", "delayedExecute", null)
                .api("java.util.concurrent.ScheduledThreadPoolExecutor.schedule"));
        t.add(GateSpec.of(THREADS_CAP, THREADS, "java/lang/ref/Cleaner", "create", null));
        for (String m : new String[] {"stop", "interrupt", "suspend", "resume", "setPriority", "setName", "setDaemon",
                "setUncaughtExceptionHandler", "getContextClassLoader"}) {
            t.add(GateSpec.of(THREADS_CAP, OTHER_THREAD, thread, m, null).a(THIS));
        }
        t.add(GateSpec.of(THREADS_CAP, LIVE_THREAD, thread, "setContextClassLoader", null).a(THIS));
        t.add(GateSpec.of(THREADS_CAP, DENY, thread, "getAllStackTraces", null));
        t.add(GateSpec.of(THREADS_CAP, DENY, thread, "setDefaultUncaughtExceptionHandler", null));
        String group = "java/lang/ThreadGroup";
        for (String m : new String[] {"setDaemon", "setMaxPriority", "stop", "interrupt", "suspend", "resume", "destroy"}) {
            t.add(GateSpec.of(THREADS_CAP, DENY, group, m, null));
        }
        t.add(GateSpec.of(THREADS_CAP, CALLER, group, "getParent", null));
        t.add(GateSpec.of(THREADS_CAP, CALLER, group, "enumerate", null));
    }

    private static void nativeCode(List<GateSpec> t) {
        t.add(GateSpec.of(NATIVE_CAP, NATIVE, "java/lang/Runtime", "load0", null).a(PATH_ARG).api("java.lang.System.load"));
        t.add(GateSpec.of(NATIVE_CAP, NATIVE, "java/lang/Runtime", "loadLibrary0", null).a(PATH_ARG)
                .api("java.lang.System.loadLibrary"));
        // every restricted method of java.lang.foreign (Linker, SymbolLookup.libraryLookup, reinterpret) asks here
        String reflection = "jdk/internal/reflect/Reflection";
        t.add(GateSpec.of(NATIVE_CAP, NATIVE, reflection, "ensureNativeAccess", "(Ljava/lang/Class;)V").a(PATH_ARG)
                .api("native access (java.lang.foreign)"));
        t.add(GateSpec.of(NATIVE_CAP, NATIVE, reflection, "ensureNativeAccess", "(Ljava/lang/Class;Ljava/lang/Class;Ljava/lang/String;Z)V")
                .ab(PATH_ARG, "p2").api("native access (java.lang.foreign, JNI)"));
    }

    /**
     * Memory outside the heap, charged to the invocation's native budget before it is reserved.
     * Direct buffers (and, on JDK 17, the incubator's native segments and, on 22+,
     * {@code Arena.ofAuto()}'s) reserve through {@code Bits.reserveMemory}; on JDK 22+ the other
     * arenas allocate native segments without it (unbounded by {@code -XX:MaxDirectMemorySize}),
     * in {@code SegmentFactories.allocateNativeInternal}; file mappings in {@code mapInternal};
     * compressors allocate their state in native code, charged at a fixed estimate per instance.
     * {@code Unsafe.allocateMemory} is out of reach (the {@code Unsafe} instances are denied).
     */
    private static void nativeMemory(List<GateSpec> t) {
        t.add(GateSpec.of(NATIVE_MEMORY_CAP, NATIVE_MEMORY, "java/nio/Bits", "reserveMemory", "(JJ)V").n(PATH_ARG)
                .api("direct memory (java.nio.ByteBuffer.allocateDirect)"));
        t.add(GateSpec.of(NATIVE_MEMORY_CAP, NATIVE_MEMORY, "jdk/internal/foreign/SegmentFactories", "allocateNativeInternal",
                "(JJLjdk/internal/foreign/MemorySessionImpl;ZZ)J").an("p2", PATH_ARG)
                .api("native memory (java.lang.foreign.Arena.allocate)"));
        t.add(GateSpec.of(NATIVE_MEMORY_CAP, NATIVE_MEMORY, "sun/nio/ch/FileChannelImpl", "mapInternal",
                "(Ljava/nio/channels/FileChannel$MapMode;JJIZ)Lsun/nio/ch/FileChannelImpl$Unmapper;").n("p2")
                .api("a file mapping (java.nio.channels.FileChannel.map)"));
        t.add(GateSpec.of(NATIVE_MEMORY_CAP, NATIVE_MEMORY, "java/util/zip/Deflater", "<init>", "(IZ)V")
                .n("k:" + DEFLATER_NATIVE_BYTES).api("native zlib state (java.util.zip.Deflater)"));
        t.add(GateSpec.of(NATIVE_MEMORY_CAP, NATIVE_MEMORY, "java/util/zip/Inflater", "<init>", "(Z)V")
                .n("k:" + INFLATER_NATIVE_BYTES).api("native zlib state (java.util.zip.Inflater)"));
    }

    private static void internals(List<GateSpec> t) {
        t.add(GateSpec.of(INTERNALS, DENY, "sun/misc/Unsafe", "getUnsafe", null));
        t.add(GateSpec.of(INTERNALS, ACCESSIBLE, "java/lang/reflect/AccessibleObject", "checkCanSetAccessible",
                "(Ljava/lang/Class;Ljava/lang/Class;Z)Z").ab(PATH_ARG, "p1").api("java.lang.reflect.AccessibleObject.setAccessible"));
        t.add(GateSpec.of(INTERNALS, PRIVATE_LOOKUP, "java/lang/invoke/MethodHandles", "privateLookupIn", null).a(PATH_ARG));
        String cls = "java/lang/Class";
        // every member lookup of core reflection, cached or not, goes through one of these
        for (String[] m : new String[][] {{"privateGetDeclaredFields", "getDeclaredFields"}, {"privateGetPublicFields", "getFields"},
                {"privateGetDeclaredConstructors", "getDeclaredConstructors"}, {"privateGetDeclaredMethods", "getDeclaredMethods"},
                {"privateGetPublicMethods", "getMethods"}}) {
            t.add(GateSpec.of(INTERNALS, REFLECT_HOST, cls, m[0], null).a(THIS).api("java.lang.Class." + m[1]));
        }
        String lookup = "java/lang/invoke/MethodHandles$Lookup";
        String member = ")Ljava/lang/invoke/MemberName;";
        for (String[] m : new String[][] {{"resolveOrFail", "Ljava/lang/Class;"}, {"resolveOrFail", "Ljava/lang/invoke/MethodType;"},
                {"resolveOrNull", "Ljava/lang/invoke/MethodType;"}}) {
            t.add(GateSpec.of(INTERNALS, LOOKUP_HOST, lookup, m[0], "(BLjava/lang/Class;Ljava/lang/String;" + m[1] + member)
                    .ab(THIS, "p1").api("java.lang.invoke.MethodHandles.Lookup.findVirtual"));
        }
        t.add(GateSpec.of(INTERNALS, LOOKUP_HOST, lookup, "checkAccess",
                "(BLjava/lang/Class;Ljava/lang/invoke/MemberName;)V").ab(THIS, "p1")
                .api("java.lang.invoke.MethodHandles.Lookup.unreflect"));
        t.add(GateSpec.of(INTERNALS, RESOURCE_HOST, cls, "getResource", "(Ljava/lang/String;)Ljava/net/URL;").a(THIS));
        t.add(GateSpec.of(INTERNALS, RESOURCE_HOST, cls, "getResourceAsStream", "(Ljava/lang/String;)Ljava/io/InputStream;").a(THIS));
    }

    private static void classLoaders(List<GateSpec> t) {
        String loader = "java/lang/ClassLoader";
        t.add(GateSpec.of(LOADERS, LOADER_NEW, loader, "<init>", "(Ljava/lang/Void;Ljava/lang/String;Ljava/lang/ClassLoader;)V")
                .a(THIS).api("java.lang.ClassLoader (creating a class loader)"));
        t.add(GateSpec.of(LOADERS, LOADER_DEFINE, loader, "defineClass",
                "(Ljava/lang/String;[BIILjava/security/ProtectionDomain;)Ljava/lang/Class;").a(THIS));
        t.add(GateSpec.of(LOADERS, LOADER_DEFINE, loader, "defineClass",
                "(Ljava/lang/String;Ljava/nio/ByteBuffer;Ljava/security/ProtectionDomain;)Ljava/lang/Class;").a(THIS));
        String lookup = "java/lang/invoke/MethodHandles$Lookup";
        // the JDK defines lambdas (JDK 17) and proxies through these with the caller's lookup: deny only handler calls
        for (String m : new String[] {"defineClass", "defineHiddenClass", "defineHiddenClassWithClassData"}) {
            t.add(GateSpec.of(LOADERS, CALLER, lookup, m, null));
        }
        for (String m : new String[] {"getSystemClassLoader", "getPlatformClassLoader", "getSystemResource",
                "getSystemResourceAsStream", "getSystemResources"}) {
            t.add(GateSpec.of(LOADERS, CALLER, loader, m, null));
        }
        // the ways from an object handler code holds to the loader behind it
        t.add(GateSpec.of(LOADERS, CLASS_LOADER, loader, "getParent", null).a(THIS));
        t.add(GateSpec.of(LOADERS, CLASS_LOADER, "java/lang/Class", "getClassLoader", "()Ljava/lang/ClassLoader;").a(THIS));
        t.add(GateSpec.of(LOADERS, CLASS_LOADER, "java/lang/Module", "getClassLoader", null).a(THIS));
        t.add(GateSpec.of(LOADERS, CLASS_LOADER, "java/security/ProtectionDomain", "getClassLoader", null).a(THIS));
    }

    private static void globalState(List<GateSpec> t) {
        String system = "java/lang/System";
        for (String m : new String[] {"setProperty", "clearProperty", "setProperties", "setOut", "setErr", "setIn",
                "setSecurityManager"}) {
            t.add(GateSpec.of(STATE, DENY, system, m, null));
        }
        t.add(GateSpec.of(STATE, CALLER, system, "getProperties", null));
        t.add(GateSpec.of(STATE, ENV, system, "getenv", "(Ljava/lang/String;)Ljava/lang/String;").a(PATH_ARG));
        t.add(GateSpec.of(STATE, ENV, system, "getenv", "()Ljava/util/Map;"));
        // a new ProcessBuilder copies the whole environment, with no process started
        t.add(GateSpec.of(STATE, ENV, "java/lang/ProcessBuilder", "environment", null));
        t.add(GateSpec.of(STATE, HOST_PROPERTY, system, "getProperty", "(Ljava/lang/String;)Ljava/lang/String;").a(PATH_ARG));
        t.add(GateSpec.of(STATE, HOST_PROPERTY, system, "getProperty",
                "(Ljava/lang/String;Ljava/lang/String;)Ljava/lang/String;").a(PATH_ARG));
        t.add(GateSpec.of(STATE, DENY, "java/lang/Runtime", "addShutdownHook", null));
        t.add(GateSpec.of(STATE, DENY, "java/lang/Runtime", "removeShutdownHook", null));
        t.add(GateSpec.of(STATE, DENY, "sun/misc/Signal", "handle", null));
        t.add(GateSpec.of(STATE, DENY, "sun/misc/Signal", "raise", null));
        for (String owner : new String[] {"java/util/Locale", "java/util/TimeZone", "java/net/Authenticator",
                "java/net/CookieHandler", "java/net/ProxySelector", "java/net/ResponseCache", "javax/net/ssl/SSLContext"}) {
            t.add(GateSpec.of(STATE, DENY, owner, "setDefault", null));
        }
        t.add(GateSpec.of(STATE, DENY, "java/net/URL", "setURLStreamHandlerFactory", null));
        for (String m : new String[] {"setFileNameMap", "setContentHandlerFactory", "setDefaultAllowUserInteraction",
                "setDefaultUseCaches"}) {
            t.add(GateSpec.of(STATE, DENY, "java/net/URLConnection", m, null));
        }
        t.add(GateSpec.of(STATE, DENY, "java/net/HttpURLConnection", "setFollowRedirects", null));
        t.add(GateSpec.of(STATE, DENY, "javax/net/ssl/HttpsURLConnection", "setDefaultHostnameVerifier", null));
        t.add(GateSpec.of(STATE, DENY, "javax/net/ssl/HttpsURLConnection", "setDefaultSSLSocketFactory", null));
        for (String m : new String[] {"addProvider", "insertProviderAt", "removeProvider", "setProperty"}) {
            t.add(GateSpec.of(STATE, DENY, "java/security/Security", m, null));
        }
        for (String m : new String[] {"reset", "readConfiguration", "updateConfiguration", "addConfigurationListener",
                "addLogger"}) {
            // the LogManager reads its own configuration lazily, maybe on a sandbox thread: deny only handler calls
            t.add(GateSpec.of(STATE, CALLER, "java/util/logging/LogManager", m, null));
        }
        registries(t);
    }

    /**
     * JVM-wide registries that keep an object and call it later on other threads: a handler's
     * object put there would run on host threads, unmetered and ungated. Loggers and their
     * handlers are JVM-wide too, so handler code may log but not reconfigure them.
     */
    private static void registries(List<GateSpec> t) {
        for (String m : new String[] {"addHandler", "removeHandler", "setFilter", "setParent", "setLevel",
                "setUseParentHandlers", "setResourceBundle"}) {
            t.add(GateSpec.of(STATE, CALLER, "java/util/logging/Logger", m, null));
        }
        for (String m : new String[] {"setFormatter", "setFilter", "setErrorManager", "setLevel", "setEncoding"}) {
            t.add(GateSpec.of(STATE, CALLER, "java/util/logging/Handler", m, null));
        }
        for (String m : new String[] {"addListener", "removeListener", "addPeriodicEvent", "removePeriodicEvent",
                "register", "unregister"}) {
            t.add(GateSpec.of(MANAGEMENT, DENY, "jdk/jfr/FlightRecorder", m, null));
        }
        t.add(GateSpec.of(STATE, DENY, "java/net/Socket", "setSocketImplFactory", null));
        t.add(GateSpec.of(STATE, DENY, "java/net/ServerSocket", "setSocketFactory", null));
        t.add(GateSpec.of(STATE, DENY, "java/net/DatagramSocket", "setDatagramSocketImplFactory", null));
        t.add(GateSpec.of(STATE, DENY, "javax/naming/spi/NamingManager", "setInitialContextFactoryBuilder", null));
        t.add(GateSpec.of(STATE, DENY, "javax/naming/spi/NamingManager", "setObjectFactoryBuilder", null));
        t.add(GateSpec.of(STATE, DENY, "java/rmi/server/RMISocketFactory", "setSocketFactory", null));
        t.add(GateSpec.of(STATE, DENY, "java/rmi/server/RMISocketFactory", "setFailureHandler", null));
        for (String m : new String[] {"registerDriver", "deregisterDriver", "setLogWriter", "setLogStream"}) {
            t.add(GateSpec.of(STATE, CALLER, "java/sql/DriverManager", m, null));
        }
        t.add(GateSpec.of(STATE, DENY, "java/beans/PropertyEditorManager", "registerEditor", null));
        t.add(GateSpec.of(STATE, DENY, "java/beans/PropertyEditorManager", "setEditorSearchPath", null));
        t.add(GateSpec.of(STATE, DENY, "java/beans/Introspector", "setBeanInfoSearchPath", null));
        // a module layer hands out the application class loader of the host's modules
        t.add(GateSpec.of(STATE, CALLER, "java/lang/ModuleLayer", "findLoader", null));
    }

    private static void network(List<GateSpec> t) {
        String net = "sun/nio/ch/Net";
        String family = "(Ljava/net/ProtocolFamily;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)";
        t.add(GateSpec.of(NETWORK, SOCKET, net, "socket", null).api("java.net.Socket"));
        t.add(GateSpec.of(NETWORK, DENY, net, "serverSocket", null).api("java.net.ServerSocket"));
        t.add(GateSpec.of(NETWORK, CONNECT, net, "connect", family + "I").an("p2", "p3").api("java.net.Socket.connect"));
        t.add(GateSpec.of(NETWORK, BIND, net, "bind", family + "V").an("p2", "p3").api("java.net.Socket.bind"));
        t.add(GateSpec.of(NETWORK, SEND, "sun/nio/ch/DatagramChannelImpl", "send",
                "(Ljava/nio/ByteBuffer;Ljava/net/SocketAddress;)I").a("p1").api("java.net.DatagramSocket.send"));
        t.add(GateSpec.of(NETWORK, DENY, "sun/nio/ch/UnixDomainSockets", "socket", "()Ljava/io/FileDescriptor;")
                .api("java.nio.channels.SocketChannel.open(UNIX)"));
        String inet = "java/net/InetAddress";
        t.add(GateSpec.of(NETWORK, RESOLVE, inet, "getAllByName0", null).a(PATH_ARG).api("java.net.InetAddress.getByName"));
        t.add(GateSpec.of(NETWORK, REVERSE, inet, "getHostFromNameService", null).a(PATH_ARG)
                .api("java.net.InetAddress.getHostName"));
        t.add(GateSpec.of(NETWORK, DENY, inet, "getLocalHost", null));
    }

    private static void management(List<GateSpec> t) {
        t.add(GateSpec.of(MANAGEMENT, DENY, "java/lang/management/ManagementFactory", "*", null));
        t.add(GateSpec.of(MANAGEMENT, DENY, "javax/management/MBeanServerFactory", "*", null));
        t.add(GateSpec.of(MANAGEMENT, DENY, "com/sun/management/internal/HotSpotDiagnostic", "dumpHeap", null)
                .api("com.sun.management.HotSpotDiagnosticMXBean.dumpHeap"));
        // the host's flight recordings: list, stop, dump or stream them
        t.add(GateSpec.of(MANAGEMENT, DENY, "jdk/jfr/FlightRecorder", "getFlightRecorder", null));
        t.add(GateSpec.of(MANAGEMENT, DENY, "jdk/jfr/Recording", "<init>", null));
        t.add(GateSpec.of(MANAGEMENT, DENY, "jdk/jfr/consumer/RecordingStream", "<init>", null));
        t.add(GateSpec.of(MANAGEMENT, DENY, "jdk/jfr/consumer/EventStream", "openRepository", null));
    }
}
