package dev.ringfence.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.Policy;
import dev.ringfence.limiter.RunResult;
import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HandlerVersionsTest {
    @TempDir
    Path tmp;

    private final RecordingListener events = new RecordingListener();
    private final UnloadWatch watch = new UnloadWatch(Duration.ofMinutes(10), 0);
    private final MeteredExecutor executor = new MeteredExecutor("versions-test", 10_000_000L, 0);

    @AfterEach
    void closeWatch() {
        watch.close();
    }

    private HandlerVersions route(LoadOptions options) {
        return new HandlerVersions("orders", options, watch, events);
    }

    private HandlerVersions route() {
        return route(LoadOptions.of(Policy.DENY_ALL));
    }

    private Path jar(String tag) {
        return Fixtures.jar(tmp.resolve(tag + ".jar"), Fixtures.handlersTagged(tag));
    }

    /** Runs fix.Hello on the current version through the metered executor, under a lease. */
    private void invoke(HandlerVersions route) {
        try (HandlerVersions.Lease lease = route.acquire()) {
            HandlerVersion v = lease.version();
            Request request = Request.builder("r").build();
            RunResult<Response> r = executor.run(Fixtures.generous(), v.policy(), v.classLoader(),
                    () -> v.newHandler("fix.Hello").handle(request, new Fixtures.TestContext()));
            assertEquals(Outcome.OK, r.outcome(), r.message());
        }
    }

    @Test
    void shouldSwitchToTheNewVersionOnReload() throws Exception {
        HandlerVersions route = route();
        assertTrue(route.reload(List.of(jar("a"))));
        String a = route.current().id();
        assertTrue(route.reload(List.of(jar("b"))));
        String b = route.current().id();
        assertFalse(a.equals(b));
        assertEquals(List.of(a, b), events.loaded);
        assertEquals(List.of("none", a), events.replaced);
    }

    @Test
    void shouldIgnoreAReloadOfTheSameContent() throws Exception {
        HandlerVersions route = route();
        assertTrue(route.reload(List.of(jar("a"))));
        HandlerVersion first = route.current();
        Path copy = Fixtures.jar(tmp.resolve("copy/a.jar"), Fixtures.handlersTagged("a"));
        assertFalse(route.reload(List.of(copy)));
        assertTrue(route.current() == first);
        assertFalse(first.isClosed());
        assertEquals(1, events.loaded.size());
    }

    @Test
    void shouldKeepTheCurrentVersionWhenAReloadFails() throws Exception {
        HandlerVersions route = route();
        route.reload(List.of(jar("a")));
        HandlerVersion first = route.current();
        assertThrows(VersionException.class, () -> route.reload(List.of(tmp.resolve("missing.jar"))));
        assertTrue(route.current() == first);
        invoke(route);
    }

    @Test
    void shouldHandWhatThePreparationMadeToEveryLeaseOfItsVersion() throws Exception {
        HandlerVersions route = route();
        assertTrue(route.reload(List.of(jar("a")), LoadOptions.of(Policy.DENY_ALL), "fix.Hello",
                v -> "prepared " + v.shortId()));
        try (HandlerVersions.Lease lease = route.acquire()) {
            assertEquals("prepared " + lease.version().shortId(), lease.prepared());
        }
    }

    @Test
    void shouldCloseWhatThePreparationMadeOnceItsVersionHasDrained() throws Exception {
        HandlerVersions route = route();
        AtomicBoolean firstClosed = new AtomicBoolean();
        AtomicBoolean secondClosed = new AtomicBoolean();
        route.reload(List.of(jar("a")), LoadOptions.of(Policy.DENY_ALL), null, v -> (AutoCloseable) () -> firstClosed.set(true));
        HandlerVersions.Lease held = route.acquire();

        route.reload(List.of(jar("b")), LoadOptions.of(Policy.DENY_ALL), null, v -> (AutoCloseable) () -> secondClosed.set(true));

        assertFalse(firstClosed.get(), "a lease still holds the replaced version");
        held.close();
        assertTrue(firstClosed.get(), "closed when its last lease was");
        assertFalse(secondClosed.get());
        route.close();
        assertTrue(secondClosed.get(), "closed with the route");
    }

    @Test
    void shouldCloseWhatThePreparationMadeWhenOnlyAnAbandonedLeaseHoldsAReplacedVersion() throws Exception {
        HandlerVersions route = route();
        AtomicInteger firstClosed = new AtomicInteger();
        route.reload(List.of(jar("a")), LoadOptions.of(Policy.DENY_ALL), null,
                v -> (AutoCloseable) firstClosed::incrementAndGet);
        HandlerVersions.Lease stuck = route.acquire();
        HandlerVersions.Lease other = route.acquire();

        stuck.abandon(); // its thread may never come back to close it
        assertEquals(0, firstClosed.get(), "the version is current");
        assertThrows(IllegalStateException.class, stuck::share, "no deferred work from an abandoned thread");
        route.reload(List.of(jar("b")), LoadOptions.of(Policy.DENY_ALL), null, v -> "second");
        assertEquals(0, firstClosed.get(), "another lease, not abandoned, still holds it");
        other.close();

        assertEquals(1, firstClosed.get(), "closed once only abandoned leases hold the replaced version");
        assertEquals(1, route.draining(), "the version itself stays open for the abandoned thread");
        assertEquals(0, watch.watching(), "and is not watched for unloading while that thread holds it");
        stuck.abandon();
        stuck.close(); // the thread came back after all
        assertEquals(1, firstClosed.get(), "closed once");
        assertEquals(0, route.draining());
        assertEquals(1, watch.watching() + events.unloadedCount.get(), "retired: watched now");
    }

    @Test
    void shouldNotLeaseAVersionThatOnlyAbandonedLeasesHold() throws Exception {
        HandlerVersions route = route();
        route.reload(List.of(jar("a")), LoadOptions.of(Policy.DENY_ALL), null, v -> "first");
        HandlerVersions.Lease stuck = route.acquire();
        stuck.abandon();
        route.close();

        assertThrows(IllegalStateException.class, route::acquire);
        assertThrows(IllegalStateException.class, stuck::share);
        assertEquals(1, route.draining());
        stuck.close();
        assertEquals(0, route.draining());
    }

    @Test
    void shouldCountAnAbandonedLeaseClosedAtTheSameTimeOnce() throws Exception {
        for (int round = 0; round < 200; round++) {
            HandlerVersions route = route();
            AtomicInteger closed = new AtomicInteger();
            route.reload(List.of(jar("a")), LoadOptions.of(Policy.DENY_ALL), null,
                    v -> (AutoCloseable) closed::incrementAndGet);
            HandlerVersions.Lease lease = route.acquire();
            route.close();
            Thread abandoning = new Thread(lease::abandon);
            abandoning.start();
            lease.close();
            abandoning.join();

            assertEquals(1, closed.get(), "round " + round);
            assertEquals(0, route.draining(), "round " + round);
        }
    }

    @Test
    void shouldKeepTheCurrentVersionWhenThePreparationFails() throws Exception {
        HandlerVersions route = route();
        route.reload(List.of(jar("a")), LoadOptions.of(Policy.DENY_ALL), null, v -> "first");
        HandlerVersion first = route.current();
        VersionException e = assertThrows(VersionException.class, () -> route.reload(List.of(jar("b")),
                LoadOptions.of(Policy.DENY_ALL), null, v -> {
                    throw new VersionException(VersionException.Reason.CONSTRUCTOR_FAILED, "no");
                }));
        assertEquals("no", e.getMessage());
        assertTrue(route.current() == first);
        assertEquals(1, events.loaded.size(), "a version that failed its preparation never went live");
        assertEquals(1, watch.watching() + events.unloadedCount.get(), "the failed version is watched");
        try (HandlerVersions.Lease lease = route.acquire()) {
            assertEquals("first", lease.prepared());
        }
    }

    @Test
    void shouldLoadTheSameContentAgainForAnotherVariantOrMetering() throws Exception {
        HandlerVersions route = route();
        LoadOptions options = LoadOptions.of(Policy.DENY_ALL);
        assertTrue(route.reload(List.of(jar("a")), options, "fix.Hello", null));
        assertFalse(route.reload(List.of(jar("a")), options, "fix.Hello", null));
        assertTrue(route.reload(List.of(jar("a")), options, "fix.Spin", null));
        assertTrue(route.reload(List.of(jar("a")), options.withMetering(dev.ringfence.limiter.Metering.GUARD),
                "fix.Spin", null));
        assertEquals(3, events.loaded.size());
    }

    @Test
    void shouldRetireTheVersionOnParkAndLoadTheSameContentAfresh() throws Exception {
        HandlerVersions route = route();
        route.reload(List.of(jar("a")));
        HandlerVersion first = route.current();
        assertTrue(route.park());
        assertTrue(first.isClosed(), "no lease held it: retired at once");
        assertThrows(IllegalStateException.class, route::acquire);
        assertFalse(route.park());
        assertTrue(route.reload(List.of(jar("a"))), "a parked route loads even the same content");
        assertFalse(route.current() == first);
        invoke(route);
    }

    @Test
    void shouldRefuseALeaseBeforeTheFirstVersion() {
        assertThrows(IllegalStateException.class, () -> route().acquire());
    }

    @Test
    void shouldCloseTheOldVersionOnlyAfterItsLastLease() throws Exception {
        HandlerVersions route = route();
        route.reload(List.of(jar("a")));
        HandlerVersions.Lease lease = route.acquire();
        HandlerVersion old = lease.version();
        route.reload(List.of(jar("b")));
        assertFalse(old.isClosed(), "an in-flight invocation keeps its version open");
        assertEquals(1, route.draining());
        old.loadClass("fix.Spin"); // still loads classes it has not loaded yet
        lease.close();
        assertTrue(old.isClosed());
        assertEquals(0, route.draining());
        assertThrows(IllegalStateException.class, lease::version);
        lease.close(); // idempotent
    }

    @Test
    void shouldKeepTheVersionOpenForASharedLeaseAfterTheOriginalCloses() throws Exception {
        HandlerVersions route = route();
        route.reload(List.of(jar("a")));
        HandlerVersions.Lease lease = route.acquire();
        HandlerVersion old = lease.version();
        HandlerVersions.Lease shared = lease.share();
        assertSame(old, shared.version());
        route.reload(List.of(jar("b")));
        lease.close();
        assertFalse(old.isClosed(), "work that outlives the invocation keeps its version open");
        assertEquals(1, route.draining());
        shared.close();
        assertTrue(old.isClosed());
        assertEquals(0, route.draining());
        assertThrows(IllegalStateException.class, lease::share, "no share of a closed lease");
    }

    /** Loads version "a", uses it, and returns a phantom reference to its loader. */
    private PhantomReference<ClassLoader> loadUseAndWatch(HandlerVersions route, ReferenceQueue<ClassLoader> q)
            throws VersionException {
        route.reload(List.of(jar("a")));
        invoke(route);
        return new PhantomReference<>(route.current().classLoader(), q);
    }

    @Test
    void shouldProveTheOldLoaderCollectedOnceNoLeaseIsHeld() throws Exception {
        HandlerVersions route = route();
        ReferenceQueue<ClassLoader> q = new ReferenceQueue<>();
        PhantomReference<ClassLoader> oldLoader = loadUseAndWatch(route, q);
        String oldId = route.current().id();
        route.reload(List.of(jar("b")));
        invoke(route);
        assertTrue(Fixtures.awaitCollected(() -> q.poll() == oldLoader), "the old loader was not collected");
        assertTrue(Fixtures.awaitCollected(() -> events.unloaded.containsKey(oldId)), "the watch did not report it");
        assertTrue(events.leaked.isEmpty());
        assertEquals(1, events.live());
    }

    @Test
    void shouldNeverLeaseAClosedVersionWhileReloading() throws Exception {
        HandlerVersions route = route();
        List<Path> jars = List.of(jar("a"), jar("b"));
        route.reload(List.of(jars.get(0)));
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> users = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread u = new Thread(() -> {
                while (!stop.get()) {
                    try (HandlerVersions.Lease lease = route.acquire()) {
                        HandlerVersion v = lease.version();
                        if (v.isClosed()) {
                            throw new AssertionError("leased a closed version");
                        }
                        v.loadClass("fix.Hello");
                        v.loadClass("fix.Spin");
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }
            }, "lease-user-" + t);
            u.start();
            users.add(u);
        }
        for (int i = 1; i <= 100; i++) {
            assertTrue(route.reload(List.of(jars.get(i % 2))));
        }
        stop.set(true);
        for (Thread u : users) {
            u.join();
        }
        assertTrue(failures.isEmpty(), () -> "failures: " + failures);
        assertEquals(0, route.draining());
        assertEquals(101, events.loaded.size());
    }

    @Test
    void shouldKeepLiveVersionLoadersBoundedOverManyReloads() throws Exception {
        InstrumentedClassCache cache = new InstrumentedClassCache(tmp.resolve("cache"), 1 << 24);
        HandlerVersions route = route(LoadOptions.of(Policy.DENY_ALL).withCache(cache));
        int cycles = 220;
        for (int i = 0; i < cycles; i++) {
            Path jar = Fixtures.jar(tmp.resolve("cycle-" + (i % 2) + ".jar"), Fixtures.handlersTagged("cycle " + i));
            assertTrue(route.reload(List.of(jar)));
            invoke(route);
            if (i % 50 == 49) {
                assertTrue(Fixtures.awaitCollected(() -> events.live() == 1), "live loaders: " + events.live());
            }
        }
        assertTrue(Fixtures.awaitCollected(() -> events.unloadedCount.get() == cycles - 1),
                "unloaded " + events.unloadedCount.get() + " of " + (cycles - 1));
        assertEquals(1, events.live());
        assertEquals(0, watch.watching());
        assertTrue(events.leaked.isEmpty());
        assertTrue(cache.hits() > 0);
    }

    @Test
    void shouldRetireTheCurrentVersionOnClose() throws Exception {
        HandlerVersions route = route();
        route.reload(List.of(jar("a")));
        String id = route.current().id();
        invoke(route);
        route.close();
        assertThrows(IllegalStateException.class, route::acquire);
        assertThrows(IllegalStateException.class, () -> route.reload(List.of(jar("b"))));
        assertTrue(Fixtures.awaitCollected(() -> events.unloaded.containsKey(id)));
    }
}
