package dev.ringfence.agent.gates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import dev.ringfence.boot.Gate;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.Policy;
import dev.ringfence.limiter.RunResult;
import dev.ringfence.limiter.SandboxThread;
import java.io.File;
import java.net.InetAddress;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs gates through {@link Gate#check} on real sandbox threads (and on this host thread) and
 * checks each rule's decision. No JDK class is woven here: the tests call the gate themselves, as
 * a woven JDK method would, from {@link HandlerCode} defined by a sandbox loader.
 */
class GateKeeperTest {
    private static final MeteredExecutor EXECUTOR = new MeteredExecutor("gate-test", TimeUnit.SECONDS.toNanos(1), 0);
    private static final Budgets BUDGETS = new Budgets(TimeUnit.SECONDS.toNanos(10), 0, 0, 0);
    private static final Consumer<Object[]> HANDLER = SandboxedTestLoader.handlerCode();

    @BeforeAll
    static void installTheHook() {
        synchronized (Gate.class) {
            if (!Gate.installed()) {
                Gate.install(SandboxThread.class, new GateKeeper(null));
            }
        }
    }

    @Test
    void shouldLetHostThreadsThroughWithoutAsking() {
        int exit = site(GateKind.DENY, "java/lang/Runtime", "exit");
        Gate.check(exit, null, null, 0);
    }

    @Test
    void shouldDenyAndNameTheApiOnASandboxThread() {
        int exit = site(GateKind.DENY, "java/lang/Runtime", "exit");
        RunResult<String> r = run(Policy.DENY_ALL, exit, null, null, 0);
        assertEquals(Outcome.DENIED, r.outcome());
        assertEquals("denied: java.lang.Runtime.exit", r.message());
    }

    @Test
    void shouldLetPrivilegedSandboxCodeThrough() {
        int exit = site(GateKind.DENY, "java/lang/Runtime", "exit");
        RunResult<String> r = EXECUTOR.run(BUDGETS, Policy.DENY_ALL, null, () -> {
            boolean was = SandboxThread.currentMeter().setPrivileged(true);
            try {
                HANDLER.accept(new Object[] {exit, null, null, 0});
            } finally {
                SandboxThread.currentMeter().setPrivileged(was);
            }
            return "passed";
        });
        assertEquals(Outcome.OK, r.outcome(), r.message());
    }

    @Test
    void shouldLetTheSandboxsOwnCodeThroughOnASandboxThread() {
        int exit = site(GateKind.DENY, "java/lang/Runtime", "exit");
        RunResult<String> r = EXECUTOR.run(BUDGETS, Policy.DENY_ALL, null, () -> {
            Gate.check(exit, null, null, 0); // this test class is host code: not the handler's request
            return "passed";
        });
        assertEquals(Outcome.OK, r.outcome(), r.message());
    }

    @Test
    void shouldDenyReadingOutsideTheGrantedDirectories() {
        int read = site(GateKind.FILE_READ, "java/io/FileInputStream", "<init>");
        RunResult<String> r = run(policy("policy.read", "/srv/data"), read, new File("/etc/hostname"), null, 0);
        assertEquals(Outcome.DENIED, r.outcome());
        assertEquals("denied: java.io.FileInputStream (read /etc/hostname)", r.message());
    }

    @Test
    void shouldAllowReadingBelowAGrantedDirectoryAfterNormalising() {
        int read = site(GateKind.FILE_READ, "java/io/FileInputStream", "<init>");
        assertOk(run(policy("policy.read", "/srv/data"), read, new File("/srv/data/x/../y.txt"), null, 0));
        assertEquals(Outcome.DENIED,
                run(policy("policy.read", "/srv/data"), read, new File("/srv/data/../secret"), null, 0).outcome());
    }

    @Test
    void shouldAlwaysAllowReadingTheJdkItself() {
        int read = site(GateKind.FILE_READ, "java/io/FileInputStream", "<init>");
        Path tzdb = Path.of(System.getProperty("java.home"), "lib", "tzdb.dat");
        assertOk(run(Policy.DENY_ALL, read, tzdb, null, 0));
    }

    @Test
    void shouldTellWritesFromReadsByOpenOptions() {
        int open = site(GateKind.FILE_OPEN, "sun/nio/fs/UnixFileSystemProvider", "newByteChannel");
        Policy readOnly = policy("policy.read", "/srv/data");
        Path file = Path.of("/srv/data/a.txt");
        assertOk(run(readOnly, open, file, Set.of(StandardOpenOption.READ), 0));
        RunResult<String> w = run(readOnly, open, file, Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE), 0);
        assertEquals(Outcome.DENIED, w.outcome());
        assertTrue(w.message().contains("write /srv/data/a.txt"), w.message());
        assertOk(run(policy("policy.write", "/srv/data"), open, file, Set.of(StandardOpenOption.APPEND), 0));
    }

    @Test
    void shouldAllowOnlyListedEnvironmentVariables() {
        int env = site(GateKind.ENV, "java/lang/System", "getenv");
        Policy home = policy("policy.env", "HOME");
        assertOk(run(home, env, "HOME", null, 0));
        assertEquals("denied: java.lang.System.getenv (PATH)", run(home, env, "PATH", null, 0).message());
        assertEquals("denied: java.lang.System.getenv (the whole environment)", run(home, env, null, null, 0).message());
    }

    @Test
    void shouldDenyThreadsUnlessThePolicyAllowsThem() {
        int start = site(GateKind.THREADS, "java/lang/Thread", "start");
        assertEquals(Outcome.DENIED, run(Policy.DENY_ALL, start, new Thread(() -> { }), null, 0).outcome());
        assertOk(run(policy("policy.threads", "true"), start, new Thread(() -> { }), null, 0));
    }

    @Test
    void shouldOnlyDenyControllingOtherLiveThreads() {
        int rename = site(GateKind.OTHER_THREAD, "java/lang/Thread", "setName");
        RunResult<String> own = EXECUTOR.run(BUDGETS, Policy.DENY_ALL, null, () -> {
            HANDLER.accept(new Object[] {rename, Thread.currentThread(), null, 0});
            HANDLER.accept(new Object[] {rename, new Thread(() -> { }), null, 0}); // not started: harmless
            return "passed";
        });
        assertOk(own);
        assertEquals(Outcome.DENIED, run(Policy.DENY_ALL, rename, Thread.currentThread(), null, 0).outcome());
    }

    @Test
    void shouldDenyControllingAnotherSandboxThreadEvenOfTheSameVersion() throws Exception {
        int interrupt = site(GateKind.OTHER_THREAD, "java/lang/Thread", "interrupt");
        ClassLoader version = new SandboxedTestLoader();
        java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
        dev.ringfence.limiter.SandboxThread other = new dev.ringfence.limiter.SandboxThread(null, () -> {
            try {
                hold.await();
            } catch (InterruptedException e) {
                // ended by the test
            }
        }, "other-invocation", 0);
        other.setContextClassLoader(version); // as while it runs an invocation of the same version
        other.start();
        try {
            RunResult<String> r = EXECUTOR.run(BUDGETS, Policy.DENY_ALL, version, () -> {
                HANDLER.accept(new Object[] {interrupt, other, null, 0});
                return "passed";
            });
            assertEquals(Outcome.DENIED, r.outcome(), r.message());
            assertTrue(r.message().contains("other-invocation"), r.message());
            Thread own = new Thread(() -> { });
            own.setContextClassLoader(version);
            assertOk(EXECUTOR.run(BUDGETS, Policy.DENY_ALL, version, () -> {
                HANDLER.accept(new Object[] {interrupt, own, null, 0}); // not started: harmless
                return "passed";
            }));
        } finally {
            hold.countDown();
            other.join(10_000);
        }
    }

    @Test
    void shouldResolveAndConnectOnlyToListedHosts() throws Exception {
        int resolve = site(GateKind.RESOLVE, "java/net/InetAddress", "getAllByName0");
        int connect = site(GateKind.CONNECT, "sun/nio/ch/Net", "connect");
        int socket = site(GateKind.SOCKET, "sun/nio/ch/Net", "socket");
        Policy local = policy("policy.hosts", "localhost:8080");
        InetAddress loopback = InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
        assertOk(run(local, resolve, "localhost", null, 0));
        assertEquals("denied: java.net.InetAddress.getByName (example.com)", run(local, resolve, "example.com", null, 0).message());
        assertOk(run(local, socket, null, null, 0));
        assertEquals(Outcome.DENIED, run(Policy.DENY_ALL, socket, null, null, 0).outcome());
        assertEquals("denied: java.net.Socket.connect (127.0.0.1:9)", run(local, connect, loopback, null, 9).message());
        assertOk(run(policy("policy.hosts", "127.0.0.1:9"), connect, loopback, null, 9));
    }

    @Test
    void shouldNotTrustAHostNameAttachedToAnAddress() throws Exception {
        int connect = site(GateKind.CONNECT, "sun/nio/ch/Net", "connect");
        InetAddress forged = InetAddress.getByAddress("localhost", new byte[] {10, 1, 2, 3});
        InetAddress real = InetAddress.getByAddress("localhost", InetAddress.getByName("localhost").getAddress());
        Policy local = policy("policy.hosts", "localhost:80");
        assertEquals(Outcome.DENIED, run(local, connect, forged, null, 80).outcome());
        assertOk(run(local, connect, real, null, 80));
    }

    @Test
    void shouldLetHandlerCodeOpenOnlyItsOwnMembers() {
        int accessible = site(GateKind.ACCESSIBLE, "java/lang/reflect/AccessibleObject", "checkCanSetAccessible");
        // the JDK (or the sandbox itself) opening a JDK member on this thread is not a handler's request
        assertOk(run(Policy.DENY_ALL, accessible, Class.class, String.class, 0));
        assertOk(run(Policy.DENY_ALL, accessible, GateKeeperTest.class, String.class, 0));
        Class<?> handler = HANDLER.getClass();
        assertOk(run(Policy.DENY_ALL, accessible, handler, handler, 0));
        RunResult<String> r = run(Policy.DENY_ALL, accessible, handler, String.class, 0);
        assertEquals("denied: java.lang.reflect.AccessibleObject.setAccessible (on java.lang.String)", r.message());
    }

    @Test
    void shouldReportAFailedCheckAsADenial() {
        int accessible = site(GateKind.ACCESSIBLE, "java/lang/reflect/AccessibleObject", "checkCanSetAccessible");
        RunResult<String> r = run(Policy.DENY_ALL, accessible, "not a class", String.class, 0);
        assertEquals(Outcome.DENIED, r.outcome());
        assertTrue(r.message().contains("the check failed"), r.message());
    }

    @Test
    void shouldNeverDenyOnAHostThreadWhateverTheRule() {
        for (GateKind kind : GateKind.values()) {
            HANDLER.accept(new Object[] {site(kind, "java/lang/Runtime", "exit"), "x", "y", 1});
        }
    }

    @Test
    void shouldDenyHandlerCodeTheHostLoaderBehindAnApiClassButNotItsOwn() {
        int loaderOf = site(GateKind.CLASS_LOADER, "java/lang/Class", "getClassLoader");
        assertEquals("denied: java.lang.Class.getClassLoader (of dev.ringfence.api.Outcome)",
                run(Policy.DENY_ALL, loaderOf, Outcome.class, null, 0).message());
        assertOk(run(Policy.DENY_ALL, loaderOf, HANDLER.getClass(), null, 0));
        assertOk(run(Policy.DENY_ALL, loaderOf, String.class, null, 0));
        int moduleLoader = site(GateKind.CLASS_LOADER, "java/lang/Module", "getClassLoader");
        assertOk(run(Policy.DENY_ALL, moduleLoader, HANDLER.getClass().getModule(), null, 0));
        assertEquals(Outcome.DENIED, run(Policy.DENY_ALL, moduleLoader, Outcome.class.getModule(), null, 0).outcome());
    }

    @Test
    void shouldDenyHandlerCodeTheSystemClassLoaderButNotTheJdk() {
        int climb = site(GateKind.CALLER, "java/lang/ClassLoader", "getSystemClassLoader");
        RunResult<String> r = run(Policy.DENY_ALL, climb, null, null, 0);
        assertEquals("denied: java.lang.ClassLoader.getSystemClassLoader", r.message());
    }

    private static void assertOk(RunResult<String> r) {
        assertEquals(Outcome.OK, r.outcome(), r.message());
    }

    @Test
    void shouldChargeReservationsToTheNativeBudgetAndRefuseTheOneThatWouldPassIt() {
        int direct = site(GateKind.NATIVE_MEMORY, "java/nio/Bits", "reserveMemory");
        long mib = 1L << 20;
        RunResult<String> r = EXECUTOR.run(BUDGETS.withNativeBytes(3 * mib), Policy.DENY_ALL, null, () -> {
            for (int i = 0; i < 3; i++) {
                HANDLER.accept(new Object[] {direct, null, mib});
            }
            long reserved = SandboxThread.currentMeter().nativeReserved();
            try {
                HANDLER.accept(new Object[] {direct, null, 1L});
            } catch (Error e) {
                assertEquals(3 * mib, SandboxThread.currentMeter().nativeReserved(), "nothing charged for the refused one");
                throw e;
            }
            return "reserved " + reserved;
        });
        assertEquals(Outcome.NATIVE_EXCEEDED, r.outcome(), r.message());
        assertEquals("direct memory (java.nio.ByteBuffer.allocateDirect) of 1 bytes would pass the native memory budget"
                + " of 3145728 bytes (3145728 already reserved)", r.message());
    }

    @Test
    void shouldLetTheSandboxsOwnReservationsThroughWithoutTripping() {
        int direct = site(GateKind.NATIVE_MEMORY, "java/nio/Bits", "reserveMemory");
        RunResult<String> r = EXECUTOR.run(BUDGETS.withNativeBytes(1024), Policy.DENY_ALL, null, () -> {
            Gate.reserve(direct, null, 1L << 20); // this test class is host code: not the handler's reservation
            return "passed";
        });
        assertEquals(Outcome.OK, r.outcome(), r.message());
        assertOk(runReserve(0, direct, 1L << 30)); // no native budget: nothing refused
    }

    private static RunResult<String> runReserve(long nativeBudget, int site, long bytes) {
        return EXECUTOR.run(BUDGETS.withNativeBytes(nativeBudget), Policy.DENY_ALL, null, () -> {
            HANDLER.accept(new Object[] {site, null, bytes});
            return "passed";
        });
    }

    private static RunResult<String> run(Policy policy, int site, Object a, Object b, int n) {
        return EXECUTOR.run(BUDGETS, policy, null, () -> {
            HANDLER.accept(new Object[] {site, a, b, n});
            return "passed";
        });
    }

    private static int site(GateKind kind, String owner, String method) {
        GateSpec row = null;
        for (GateSpec s : GateTable.rowsFor(owner)) {
            if (s.kind() == kind && s.name().equals(method)) {
                row = s;
                break;
            }
        }
        if (row == null) {
            row = GateSpec.of("test", kind, owner, method, null);
        }
        return Sites.register(row, owner, method, "(test)V").id();
    }

    private static Policy policy(String key, String value) {
        Properties p = new Properties();
        p.setProperty(key, value);
        return Policy.fromProperties(p);
    }
}
