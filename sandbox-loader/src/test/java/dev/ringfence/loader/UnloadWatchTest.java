package dev.ringfence.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.limiter.Policy;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnloadWatchTest {
    @TempDir
    Path tmp;

    private final RecordingListener events = new RecordingListener();
    private final UnloadWatch watch = new UnloadWatch(Duration.ofMillis(600), 2);

    @AfterEach
    void closeWatch() {
        watch.close();
    }

    private HandlerVersions route() throws VersionException {
        HandlerVersions route = new HandlerVersions("leaky", LoadOptions.of(Policy.DENY_ALL), watch, events);
        route.reload(List.of(Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlersTagged("a"))));
        return route;
    }

    private static void call(HandlerVersions route, String handler, String path) throws Exception {
        try (HandlerVersions.Lease lease = route.acquire()) {
            Handler h = lease.version().newHandler(handler);
            h.handle(Request.builder("r").path(path).build(), new Fixtures.TestContext());
        }
    }

    @Test
    void shouldReportALeakThroughAThreadLocalOnAHostThread() throws Exception {
        HandlerVersions route = route();
        String leakyId = route.current().id();
        CountDownLatch called = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread host = new Thread(() -> {
            try {
                call(route, "fix.LeaksThreadLocal", "/");
            } catch (Throwable e) {
                failure.set(e);
            }
            called.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "leaky-host");
        host.start();
        called.await();
        assertEquals(null, failure.get());
        route.reload(List.of(Fixtures.jar(tmp.resolve("b.jar"), Fixtures.handlersTagged("b"))));

        assertTrue(Fixtures.awaitCollected(() -> events.leaked.containsKey(leakyId)), "no leak reported");
        String cause = events.leaked.get(leakyId);
        assertTrue(cause.contains("ThreadLocal on thread 'leaky-host' holds a fix.LeaksThreadLocal"), cause);
        assertFalse(events.unloaded.containsKey(leakyId));
        assertEquals(1, watch.leaked());

        release.countDown();
        host.join();
        assertTrue(Fixtures.awaitCollected(() -> events.unloaded.containsKey(leakyId)),
                "a leaked loader collected later is still reported");
    }

    @Test
    void shouldReportALeakThroughAJdbcDriver() throws Exception {
        HandlerVersions route = route();
        String leakyId = route.current().id();
        call(route, "fix.LeakyDriver", "/register");
        // keep a handle on the version's classes to deregister later: a class, not an instance
        AtomicReference<Class<?>> driverClass = new AtomicReference<>();
        try (HandlerVersions.Lease lease = route.acquire()) {
            driverClass.set(lease.version().loadClass("fix.LeakyDriver"));
        }
        route.reload(List.of(Fixtures.jar(tmp.resolve("b.jar"), Fixtures.handlersTagged("b"))));

        assertTrue(Fixtures.awaitCollected(() -> events.leaked.containsKey(leakyId)), "no leak reported");
        String cause = events.leaked.get(leakyId);
        assertTrue(cause.contains("JDBC driver fix.LeakyDriver is registered with java.sql.DriverManager"), cause);
        assertTrue(Collections.list(DriverManager.getDrivers()).stream().noneMatch(d -> d.getClass() == driverClass.get()),
                "DriverManager hides the handler's driver from host callers, so the diagnosis must look as the version");

        deregister(driverClass.getAndSet(null));
        assertTrue(Fixtures.awaitCollected(() -> events.unloaded.containsKey(leakyId)));
    }

    /** Deregisters the fixture driver: DriverManager lets only the driver's own classes do it. */
    private static void deregister(Class<?> driverClass) throws Exception {
        Handler h = (Handler) driverClass.getConstructor().newInstance();
        h.handle(Request.builder("r").path("/deregister").build(), new Fixtures.TestContext());
    }

    @Test
    void shouldNameAThreadWhoseContextLoaderIsTheVersion() throws Exception {
        try (HandlerVersion v = HandlerVersion.load(List.of(Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlers())),
                LoadOptions.of(Policy.DENY_ALL))) {
            CountDownLatch release = new CountDownLatch(1);
            Thread t = new Thread(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "context-holder");
            t.setContextClassLoader(v.classLoader());
            t.start();
            try {
                String cause = LeakDiagnosis.describe(v.classLoader());
                assertTrue(cause.contains("thread 'context-holder' has the version's loader as its context class loader"), cause);
            } finally {
                release.countDown();
                t.join();
            }
        }
    }

    @Test
    void shouldSayThreadLocalsAreUnknownWhenJavaLangIsNotOpen() throws Exception {
        try (HandlerVersion v = HandlerVersion.load(List.of(Fixtures.jar(tmp.resolve("a.jar"), Fixtures.handlers())),
                LoadOptions.of(Policy.DENY_ALL))) {
            String cause = LeakDiagnosis.describe(v.classLoader(), false);
            assertTrue(cause.startsWith("unknown"), cause);
            assertTrue(cause.endsWith("ThreadLocal values: unknown (java.lang not open)"), cause);
        }
    }
}
