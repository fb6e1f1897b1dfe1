package dev.ringfence.agent.serve;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.agent.pipeline.RouteSettings;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;

/**
 * Watches a routes directory by polling it. Each folder {@code DIR/<route>/} holding a
 * {@code route.properties} is a route; the {@code *.jar} files directly in it, by name, are its
 * classpath; a folder with an executable {@code bootstrap} instead is a {@code runtime=provided} route (see
 * {@link dev.ringfence.agent.runtimeapi.ProvidedRuntime}), and every file directly in it counts as its
 * content. A new folder adds a route, a changed or added file reloads it, a removed folder (or
 * {@code route.properties}) removes it. Hidden files and folders (a leading dot) are ignored, so
 * {@code .hello.jar.tmp} moved to {@code hello.jar} is the way to replace a jar.
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>A change is handed on only once it has <em>settled</em>: every file's modification time is
 *       at least the settle time old (or the folder has looked the same for the settle time, for
 *       clocks that disagree), and every jar opens as a zip. A half-copied jar has no central
 *       directory yet, so it is never handed on.</li>
 *   <li>Each settled state of a folder is handed on once, whether the target could use it or not:
 *       a version that fails to load is not retried until the folder changes again.</li>
 *   <li>{@link #poll()} is serialised; the target is called on the polling thread, one route at a
 *       time. {@link #start} polls on one daemon thread, {@code ringfence-routes}; a failing poll
 *       is logged and the next one runs as usual.</li>
 * </ul>
 */
public final class RouteDirectory implements AutoCloseable {
    /** How often {@link #start} polls by default. */
    public static final long POLL_MILLIS = 500;
    /** How long a change must have settled by default before it is handed on. */
    public static final long SETTLE_MILLIS = 300;

    /** The file whose presence makes a folder without jars a route: a provided runtime's executable. */
    private static final String BOOTSTRAP = "bootstrap";
    private static final Pattern ROUTE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /** Receives the routes directory's changes. Called on the polling thread. */
    public interface Target {
        /**
         * A route appeared or changed, and has settled.
         *
         * @param route the folder's name
         * @param settingsFile its {@code route.properties}
         * @param jars its jars, by file name
         */
        void apply(String route, Path settingsFile, List<Path> jars);

        /**
         * A route's folder (or its {@code route.properties}) is gone.
         *
         * @param route the folder's name
         */
        void remove(String route);
    }

    /** A file's name, size and modification time: what tells a change. */
    private record Stamp(String name, long size, long mtimeMillis) {
    }

    /** What a folder looked like, and since when (by the monotonic clock). */
    private record Seen(List<Stamp> stamps, long sinceNanos) {
    }

    private final Path dir;
    private final Target target;
    private final long settleMillis;
    private final LongSupplier wallMillis;
    private final LongSupplier monoNanos;
    private final EventLog log;
    private final Map<String, List<Stamp>> handedOn = new HashMap<>();
    private final Map<String, Seen> seen = new HashMap<>();
    private final Set<String> warned = new HashSet<>();
    private Thread thread;
    private volatile boolean closed;

    /**
     * @param dir the routes directory
     * @param target receives the changes
     * @param settleMillis how long a change must have settled
     * @param wallMillis the wall clock files' modification times are compared with
     * @param monoNanos a monotonic clock, for how long a folder has looked the same
     * @param log where ignored folders and failed polls are reported
     */
    public RouteDirectory(Path dir, Target target, long settleMillis, LongSupplier wallMillis, LongSupplier monoNanos,
            EventLog log) {
        this.dir = dir;
        this.target = target;
        this.settleMillis = settleMillis;
        this.wallMillis = wallMillis;
        this.monoNanos = monoNanos;
        this.log = log;
    }

    /**
     * @param dir the routes directory
     * @param target receives the changes
     * @param log where ignored folders and failed polls are reported
     * @return a watcher with the default settle time and the system clocks
     */
    public static RouteDirectory of(Path dir, Target target, EventLog log) {
        return new RouteDirectory(dir, target, SETTLE_MILLIS, System::currentTimeMillis, System::nanoTime, log);
    }

    /** @return the routes directory */
    public Path dir() {
        return dir;
    }

    /**
     * Looks at the directory once and hands on every settled change.
     *
     * @throws IOException when the directory cannot be listed
     */
    public synchronized void poll() throws IOException {
        Map<String, Path> folders = routeFolders();
        for (Map.Entry<String, Path> e : folders.entrySet()) {
            String route = e.getKey();
            Path folder = e.getValue();
            List<Stamp> stamps = stamps(folder);
            if (stamps == null) {
                continue; // vanished while we looked: the next poll sees it gone
            }
            long now = monoNanos.getAsLong();
            Seen before = seen.get(route);
            if (before == null || !before.stamps().equals(stamps)) {
                before = new Seen(stamps, now);
                seen.put(route, before);
            }
            if (stamps.equals(handedOn.get(route)) || !settled(folder, before, now)) {
                continue;
            }
            handedOn.put(route, stamps);
            target.apply(route, folder.resolve(RouteSettings.FILE_NAME), jars(folder, stamps));
        }
        for (String route : new ArrayList<>(handedOn.keySet())) {
            if (!folders.containsKey(route)) {
                handedOn.remove(route);
                seen.remove(route);
                target.remove(route);
            }
        }
        seen.keySet().retainAll(folders.keySet());
    }

    /**
     * Whether a route folder seen by the last {@link #poll} was not handed on only because a file
     * in it is younger than the settle time: it may still be being written, and will settle by
     * itself. A folder that cannot settle as it is (no jar, a jar that does not open) is not
     * counted, so a server waiting for this at start ({@code ServeRuntime}) waits only for
     * folders written just before it started.
     *
     * @return whether such a folder was seen
     */
    public synchronized boolean settling() {
        long wall = wallMillis.getAsLong();
        for (Map.Entry<String, Seen> e : seen.entrySet()) {
            if (e.getValue().stamps().equals(handedOn.get(e.getKey()))) {
                continue;
            }
            for (Stamp st : e.getValue().stamps()) {
                if (wall - st.mtimeMillis() < settleMillis) {
                    return true;
                }
            }
        }
        return false;
    }

    /** @return how long a change must have settled before it is handed on, in milliseconds */
    public long settleMillis() {
        return settleMillis;
    }

    /** Route folders that hold a {@code route.properties}, by name. */
    private Map<String, Path> routeFolders() throws IOException {
        Map<String, Path> out = new TreeMap<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                if (name.startsWith(".") || !Files.isDirectory(p) || !Files.isRegularFile(p.resolve(RouteSettings.FILE_NAME))) {
                    continue;
                }
                if (!ROUTE_NAME.matcher(name).matches()) {
                    if (warned.add(name)) {
                        log.emit(log.line("route-ignored").put("folder", p.toString())
                                .put("message", "a route's name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"));
                    }
                    continue;
                }
                out.put(name, p);
            }
        }
        return out;
    }

    /**
     * The stamps of route.properties, every jar and, in a folder with a {@code bootstrap}, every other
     * file directly in it (a provided runtime's scripts), by name; null when the folder vanished.
     */
    private static List<Stamp> stamps(Path folder) {
        TreeMap<String, Stamp> byName = new TreeMap<>();
        boolean everyFile = Files.exists(folder.resolve(BOOTSTRAP));
        try (DirectoryStream<Path> s = Files.newDirectoryStream(folder)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                if (name.startsWith(".") || !(name.endsWith(".jar") || name.equals(RouteSettings.FILE_NAME)
                        || everyFile)) {
                    continue;
                }
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                    if (a.isRegularFile()) {
                        byName.put(name, new Stamp(name, a.size(), a.lastModifiedTime().toMillis()));
                    }
                } catch (NoSuchFileException gone) {
                    // replaced between the listing and the read: the next poll sees the new one
                }
            }
        } catch (IOException e) {
            return null;
        }
        return new ArrayList<>(byName.values());
    }

    private boolean settled(Path folder, Seen seenSince, long nowNanos) {
        boolean quietLongEnough = nowNanos - seenSince.sinceNanos() >= TimeUnit.MILLISECONDS.toNanos(settleMillis);
        long wall = wallMillis.getAsLong();
        boolean oldEnough = true;
        boolean anyJar = false;
        for (Stamp st : seenSince.stamps()) {
            oldEnough &= wall - st.mtimeMillis() >= settleMillis;
            anyJar |= st.name().endsWith(".jar") || st.name().equals(BOOTSTRAP);
        }
        if (!anyJar || !(oldEnough || quietLongEnough)) {
            return false;
        }
        for (Stamp st : seenSince.stamps()) {
            if (st.name().endsWith(".jar") && !opensAsZip(folder.resolve(st.name()))) {
                return false;
            }
        }
        return true;
    }

    private static boolean opensAsZip(Path jar) {
        try (ZipFile z = new ZipFile(jar.toFile())) {
            return z.size() >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static List<Path> jars(Path folder, List<Stamp> stamps) {
        List<Path> jars = new ArrayList<>();
        for (Stamp st : stamps) {
            if (st.name().endsWith(".jar")) {
                jars.add(folder.resolve(st.name()));
            }
        }
        return jars;
    }

    /**
     * Polls every {@code intervalMillis} on a daemon thread until {@link #close()}.
     *
     * @param intervalMillis the pause between polls
     */
    public synchronized void start(long intervalMillis) {
        if (thread != null || closed) {
            return;
        }
        thread = new Thread(() -> run(intervalMillis), "ringfence-routes");
        thread.setDaemon(true);
        thread.start();
    }

    private void run(long intervalMillis) {
        while (!closed) {
            try {
                Thread.sleep(intervalMillis);
            } catch (InterruptedException e) {
                continue; // close() interrupts; the loop head sees it
            }
            try {
                poll();
            } catch (IOException | RuntimeException e) {
                log.emit(log.line("poll-failed").put("dir", dir.toString()).put("message", String.valueOf(e)));
            }
        }
    }

    /** Stops polling. Idempotent; routes already handed on stay with the target. */
    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            t.interrupt();
        }
    }
}
