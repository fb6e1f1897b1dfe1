package dev.ringfence.agent.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.agent.pipeline.HandlerLog;
import dev.ringfence.agent.pipeline.Route;
import dev.ringfence.agent.pipeline.RouteDefaults;
import dev.ringfence.agent.pipeline.RouteRuntime;
import dev.ringfence.agent.pipeline.RouteTable;
import dev.ringfence.agent.pipeline.TestJars;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.loader.UnloadWatch;
import dev.ringfence.samples.Hello;
import fixtures.serve.Fails;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RouteDirectoryTest {
    private static final long SETTLE_MILLIS = 300;

    @TempDir
    Path dir;

    private final List<String> calls = new ArrayList<>();
    private long monoNanos;
    /** The wall clock files' times are compared with: the real one unless a test sets it. */
    private java.util.function.LongSupplier wall = System::currentTimeMillis;

    /** Records what the directory hands on, as "apply hello [a.jar, b.jar]" and "remove hello". */
    private final RouteDirectory.Target target = new RouteDirectory.Target() {
        @Override
        public void apply(String route, Path settingsFile, List<Path> jars) {
            calls.add("apply " + route + " " + jars.stream().map(p -> p.getFileName().toString()).toList());
        }

        @Override
        public void remove(String route) {
            calls.add("remove " + route);
        }
    };

    private RouteDirectory watcher() {
        return new RouteDirectory(dir, target, SETTLE_MILLIS, () -> wall.getAsLong(), () -> monoNanos, EventLog.NONE);
    }

    /** Sets every file of a folder to a modification time long past, as if it was copied a while ago. */
    private static void age(Path folder) throws Exception {
        FileTime past = FileTime.fromMillis(System.currentTimeMillis() - 60_000);
        try (Stream<Path> files = Files.list(folder)) {
            for (Path p : files.toList()) {
                Files.setLastModifiedTime(p, past);
            }
        }
    }

    private Path route(String name, String marker) throws Exception {
        Path folder = Files.createDirectories(dir.resolve(name));
        Files.writeString(folder.resolve("route.properties"), "handler=dev.ringfence.samples.Hello\n");
        TestJars.jar(folder.resolve("handler.jar"), marker, Hello.class);
        return folder;
    }

    @Test
    void shouldHandOnASettledRouteOnce() throws Exception {
        Path folder = route("hello", "v1");
        age(folder);
        RouteDirectory w = watcher();
        w.poll();
        w.poll();
        assertEquals(List.of("apply hello [handler.jar]"), calls);
    }

    @Test
    void shouldWaitForAJarModifiedWithinTheSettleTimeAndSayItIsSettling() throws Exception {
        Path folder = route("hello", "v1");
        long written = Files.getLastModifiedTime(folder.resolve("handler.jar")).toMillis();
        wall = () -> written + SETTLE_MILLIS - 100;
        RouteDirectory w = watcher();
        assertFalse(w.settling(), "nothing seen before the first poll");
        w.poll();
        assertEquals(List.of(), calls, "a file written less than the settle time ago is not loaded yet");
        assertTrue(w.settling(), "written less than the settle time ago: waiting helps");
        wall = () -> written + SETTLE_MILLIS + 100;
        assertFalse(w.settling(), "old enough now: the next poll hands it on");
        w.poll();
        assertEquals(List.of("apply hello [handler.jar]"), calls);
        assertFalse(w.settling());
    }

    @Test
    void shouldNotSayAFolderThatCannotSettleAsItIsIsSettling() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("nojar"));
        Files.writeString(folder.resolve("route.properties"), "handler=dev.ringfence.samples.Hello\n");
        Path broken = route("broken", "v1");
        Files.writeString(broken.resolve("handler.jar"), "not a zip");
        age(folder);
        age(broken);
        RouteDirectory w = watcher();
        w.poll();

        assertEquals(List.of(), calls);
        assertFalse(w.settling(), "old files that will not load: a starting server does not wait for them");
    }

    @Test
    void shouldNeverHandOnAHalfCopiedJar() throws Exception {
        Path folder = route("hello", "v1");
        byte[] whole = Files.readAllBytes(folder.resolve("handler.jar"));
        Files.write(folder.resolve("handler.jar"), Arrays.copyOf(whole, whole.length / 2));
        age(folder);
        RouteDirectory w = watcher();
        w.poll();
        monoNanos += TimeUnit.SECONDS.toNanos(10);
        w.poll();
        assertEquals(List.of(), calls, "a jar that does not open as a zip is not loaded, however old");
        Files.write(folder.resolve("handler.jar"), whole);
        age(folder);
        w.poll();
        assertEquals(List.of("apply hello [handler.jar]"), calls);
    }

    @Test
    void shouldSettleAFolderThatLooksTheSameForTheSettleTimeWhateverItsTimestamps() throws Exception {
        Path folder = route("hello", "v1");
        FileTime future = FileTime.fromMillis(System.currentTimeMillis() + 3_600_000);
        Files.setLastModifiedTime(folder.resolve("handler.jar"), future);
        RouteDirectory w = watcher();
        w.poll();
        assertEquals(List.of(), calls);
        monoNanos += TimeUnit.MILLISECONDS.toNanos(SETTLE_MILLIS);
        w.poll();
        assertEquals(List.of("apply hello [handler.jar]"), calls);
    }

    @Test
    void shouldHandOnAReplacedOrAddedJarAsAReload() throws Exception {
        Path folder = route("hello", "v1");
        age(folder);
        RouteDirectory w = watcher();
        w.poll();
        Path tmp = TestJars.jar(folder.resolve(".handler.jar.tmp"), "version two", Hello.class);
        Files.move(tmp, folder.resolve("handler.jar"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        age(folder);
        w.poll();
        TestJars.jar(folder.resolve("lib.jar"), "a library", Hello.class);
        age(folder);
        w.poll();
        assertEquals(List.of("apply hello [handler.jar]", "apply hello [handler.jar]", "apply hello [handler.jar, lib.jar]"),
                calls);
    }

    @Test
    void shouldRemoveARouteWhoseFolderOrSettingsAreGone() throws Exception {
        age(route("a", "v1"));
        age(route("b", "v1"));
        RouteDirectory w = watcher();
        w.poll();
        Files.delete(dir.resolve("a/route.properties"));
        try (Stream<Path> files = Files.list(dir.resolve("b"))) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir.resolve("b"));
        w.poll();
        assertEquals(List.of("apply a [handler.jar]", "apply b [handler.jar]", "remove a", "remove b"), calls);
    }

    @Test
    void shouldIgnoreHiddenFilesFoldersWithoutSettingsAndBadNames() throws Exception {
        Path folder = route("hello", "v1");
        TestJars.jar(folder.resolve(".partial.jar"), "hidden", Hello.class);
        Files.writeString(folder.resolve("README.txt"), "not part of the classpath");
        age(route(".hidden", "v1"));
        age(route("bad name", "v1"));
        Files.createDirectories(dir.resolve("no-settings"));
        age(folder);
        watcher().poll();
        assertEquals(List.of("apply hello [handler.jar]"), calls);
    }

    @Test
    void shouldNotRetryAFolderUntilItChanges() throws Exception {
        Path folder = route("hello", "v1");
        age(folder);
        RouteDirectory w = watcher();
        w.poll();
        w.poll();
        assertEquals(1, calls.size(), "a state is handed on once, whether the target could use it or not");
        Files.writeString(folder.resolve("route.properties"), "handler=dev.ringfence.samples.Hello\ntimeout=2s\n");
        age(folder);
        w.poll();
        assertEquals(2, calls.size());
        assertTrue(calls.get(1).startsWith("apply hello"));
    }

    @Test
    void shouldKeepTheServingVersionWhenANewJarFailsToLoad() throws Exception {
        RouteTable routes = new RouteTable(new RouteRuntime(new MeteredExecutor("dir-test", 20_000_000L, 0),
                new UnloadWatch(Duration.ofMinutes(10), 0), null, EventLog.NONE, HandlerLog.text(System.err), System::nanoTime));
        RouteDirectory w = new RouteDirectory(dir, new RouteDirectory.Target() {
            @Override
            public void apply(String route, Path settingsFile, List<Path> jars) {
                routes.getOrAdd(route).update(settingsFile, jars, RouteDefaults.NONE);
            }

            @Override
            public void remove(String route) {
                routes.remove(route);
            }
        }, SETTLE_MILLIS, System::currentTimeMillis, () -> monoNanos, EventLog.NONE);
        Path folder = route("hello", "v1");
        age(folder);
        w.poll();
        Route hello = routes.get("hello");
        String v1 = hello.version();
        assertEquals(Outcome.OK, hello.invoke(Request.builder("1").build()).outcome());
        TestJars.jar(folder.resolve("handler.jar"), "no handler in here", Fails.class);
        age(folder);
        w.poll();
        assertFalse(hello.lastReload().ok());
        assertTrue(hello.lastReload().message().contains("dev.ringfence.samples.Hello"), hello.lastReload().message());
        assertEquals(v1, hello.version());
        assertEquals("hello, world", hello.invoke(Request.builder("2").build()).response().bodyAsString());
        routes.closeAll();
    }
}
