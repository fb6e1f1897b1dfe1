package dev.ringfence.agent.gates;

import dev.ringfence.limiter.Policy;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The file rules: a handler reads below the policy's read and write directories, writes below its
 * write directories, and always reads the JDK's own files ({@code java.home}, read lazily by JDK
 * code: time zones, currencies, security configuration) and the kernel's random devices (seeding
 * {@code SecureRandom} and {@code UUID.randomUUID}). Paths are compared absolute and normalised,
 * without following links. Immutable and thread-safe.
 *
 * <p>Below ringfence's own places ({@link Gates#reserve}: the process tier's channel files and
 * woven gates, the start-up cache) a handler neither reads nor writes, whatever its policy says:
 * a policy that grants {@code /tmp} must not let one route read another's requests or change
 * what another route's children run.
 */
final class FileRules {
    private static final CopyOnWriteArrayList<Path> RESERVED = new CopyOnWriteArrayList<>();

    private final List<Path> alwaysReadable;
    private final Path tmpdir;

    /**
     * Reads {@code java.home} and {@code java.io.tmpdir} now, on the host.
     */
    FileRules() {
        List<Path> readable = new ArrayList<>(lexicalAndReal(Path.of(System.getProperty("java.home"))));
        readable.add(Path.of("/dev/random"));
        readable.add(Path.of("/dev/urandom"));
        this.alwaysReadable = List.copyOf(readable);
        this.tmpdir = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
    }

    /**
     * Turns what a JDK method was given into the path it will touch.
     *
     * @param o a {@link Path}, {@link File}, {@link String} or {@code file:} {@link URL}
     * @return the absolute, normalised path, or null when {@code o} is null or of another type
     * @throws InvalidPathException for a name no file can have
     */
    static Path path(Object o) {
        if (o instanceof URL) {
            try {
                // what the JDK opens for a file: URL: its path, %-escapes decoded; no other URL is a file
                return "file".equalsIgnoreCase(((URL) o).getProtocol())
                        ? Path.of(new URI(((URL) o).toString()).getPath()).toAbsolutePath().normalize() : null;
            } catch (URISyntaxException | RuntimeException e) {
                return null; // unreadable: denied
            }
        }
        if (o instanceof Path) {
            return ((Path) o).toAbsolutePath().normalize();
        }
        if (o instanceof File) {
            return Path.of(((File) o).getAbsolutePath()).normalize();
        }
        if (o instanceof String) {
            return Path.of((String) o).toAbsolutePath().normalize();
        }
        return null;
    }

    /**
     * @param policy the invocation's policy
     * @param o what is read
     * @return null when allowed, else what was denied
     */
    String read(Policy policy, Object o) {
        if (o instanceof URL && !"file".equalsIgnoreCase(((URL) o).getProtocol())) {
            return null; // a remote jar: fetched through the network gates
        }
        Path p = safePath(o);
        if (p == null && o == null) {
            return null;
        }
        if (p != null && !reserved(p) && (policy.mayRead(p) || alwaysReadableHas(p))) {
            return null;
        }
        return "read " + (p == null ? o : p);
    }

    /**
     * @param policy the invocation's policy
     * @param o what is created, changed or deleted
     * @return null when allowed, else what was denied
     */
    String write(Policy policy, Object o) {
        Path p = safePath(o);
        if (p == null && o == null) {
            return null;
        }
        if (p != null && !reserved(p) && policy.mayWrite(p)) {
            return null;
        }
        return "write " + (p == null ? o : p);
    }

    /**
     * @param policy the invocation's policy
     * @param file the file opened
     * @param options the open options (a {@code Set<OpenOption>})
     * @return null when allowed, else what was denied
     */
    String open(Policy policy, Object file, Object options) {
        return writes(options) ? write(policy, file) : read(policy, file);
    }

    /**
     * @param policy the invocation's policy
     * @param file the file opened
     * @param mode the {@code RandomAccessFile} mode
     * @return null when allowed, else what was denied
     */
    String randomAccess(Policy policy, Object file, Object mode) {
        return "r".equals(mode) ? read(policy, file) : write(policy, file);
    }

    /**
     * @param policy the invocation's policy
     * @param dir the directory of a new temporary file, or null for the default one
     * @return null when allowed, else what was denied
     */
    String temporary(Policy policy, Object dir) {
        return write(policy, dir == null ? tmpdir : dir);
    }

    private static boolean writes(Object options) {
        if (options instanceof Collection<?>) {
            Collection<?> c = (Collection<?>) options;
            return c.contains(StandardOpenOption.WRITE) || c.contains(StandardOpenOption.APPEND)
                    || c.contains(StandardOpenOption.DELETE_ON_CLOSE);
        }
        return options != null;
    }

    /**
     * Keeps handlers out of a directory from now on. A directory below one reserved already adds
     * nothing, and one above replaces those below it: the list stays as short as it can, since every
     * file a handler names is checked against it and a child is handed it whole
     * ({@link Gates#reserveOption}), where each route's workers directory came on top of the
     * server's, which holds them all.
     *
     * @param dir the directory (absolute after normalisation)
     */
    static synchronized void reserve(Path dir) {
        for (Path p : lexicalAndReal(dir)) {
            if (!reserved(p)) {
                // a snapshot, so removing is safe; a loop, not a lambda: a child runs this at start, and
                // its start-up cache holds no lambda proxy its recording JVM did not link
                for (Path r : RESERVED) {
                    if (r.startsWith(p)) {
                        RESERVED.remove(r);
                    }
                }
                RESERVED.add(p);
            }
        }
    }

    /**
     * @param p a path
     * @return it absolute and normalised, and its real path when that differs (a link on the way);
     *     the lexical one alone when it does not exist (yet)
     */
    private static List<Path> lexicalAndReal(Path p) {
        Path lexical = p.toAbsolutePath().normalize();
        try {
            Path real = lexical.toRealPath();
            return real.equals(lexical) ? List.of(lexical) : List.of(lexical, real);
        } catch (IOException e) {
            return List.of(lexical);
        }
    }

    /** @return the directories reserved so far (each as given, and its real path where that differs) */
    static List<Path> reservedDirectories() {
        return List.copyOf(RESERVED);
    }

    private static boolean reserved(Path p) {
        for (Path r : RESERVED) {
            if (p.startsWith(r)) {
                return true;
            }
        }
        return false;
    }

    private boolean alwaysReadableHas(Path p) {
        for (Path r : alwaysReadable) {
            if (p.startsWith(r)) {
                return true;
            }
        }
        return false;
    }

    private static Path safePath(Object o) {
        try {
            return path(o);
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
