package dev.ringfence.agent.process;

import dev.ringfence.loader.InstrumentedClassCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The servers' workers directories ({@code ringfence-workers-PID} in the temporary directory: the
 * children's channel and policy files, the woven gates). A server removes its own when it closes
 * its routes; one that was killed cannot. So a server holds a lock on {@value #OWNER} in its own
 * directory for as long as its JVM lives (the kernel drops it when the process ends, however it
 * ends), and sweeps, once, the directories of its user whose lock it can take: their server is
 * gone. A directory without the file (made by an older ringfence) is swept only when no process
 * has its number and nothing in it changed for an hour. Lock-based, so a live server in another
 * PID namespace that shares the temporary directory keeps its files.
 */
public final class WorkersDirectories {
    /** The file whose lock says the directory's server is alive. */
    static final String OWNER = ".owner";
    static final String PREFIX = "ringfence-workers-";
    private static final Duration OLD_LAYOUT_AGE = Duration.ofHours(1);

    private static Path claimed;
    private static FileChannel ownerChannel;
    private static FileLock ownerLock;
    private static boolean swept;

    private WorkersDirectories() {
    }

    /**
     * Claims this server's directory ({@link #claim}) and, the first time in this JVM, sweeps the
     * dead servers' on a daemon thread ({@link #sweep}).
     *
     * @param own this server's workers directory
     */
    public static void claimAndSweep(Path own) {
        boolean first;
        synchronized (WorkersDirectories.class) {
            first = !swept;
            swept = true;
        }
        if (claim(own) && first) {
            Thread t = new Thread(() -> sweep(own), "ringfence-workers-sweep");
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * Lets go of this server's directory: its lock released and its {@value #OWNER} file deleted,
     * so that the directory can be removed once empty.
     *
     * @param own this server's workers directory
     */
    public static synchronized void release(Path own) {
        if (!own.equals(claimed)) {
            return;
        }
        try {
            ownerLock.release();
            ownerChannel.close();
            Files.deleteIfExists(own.resolve(OWNER));
        } catch (IOException e) {
            // the next server's sweep removes it
        }
        claimed = null;
        ownerChannel = null;
        ownerLock = null;
    }

    /**
     * Creates this server's directory and takes its lock, once per JVM (a JVM has one: claiming
     * another lets go of the first).
     *
     * @param own this server's workers directory
     * @return whether this JVM holds the directory's lock now
     */
    public static synchronized boolean claim(Path own) {
        if (own.equals(claimed)) {
            return true;
        }
        if (claimed != null) {
            release(claimed);
        }
        try {
            InstrumentedClassCache.createPrivateDirectories(own);
            FileChannel ch = FileChannel.open(own.resolve(OWNER), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            if (lock == null) {
                ch.close();
                return false;
            }
            claimed = own;
            ownerChannel = ch;
            ownerLock = lock;
            return true;
        } catch (IOException | OverlappingFileLockException | UnsupportedOperationException e) {
            return false; // the directory works without its lock; only the sweep of others needs it
        }
    }

    /**
     * Removes the directories of dead servers of this user beside {@code own}.
     *
     * @param own this server's workers directory (kept)
     * @return how many directories were removed
     */
    public static int sweep(Path own) {
        Path tmp = own.toAbsolutePath().getParent();
        if (tmp == null) {
            return 0;
        }
        UserPrincipal me;
        try {
            me = Files.getOwner(own, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return 0;
        }
        int removed = 0;
        try (DirectoryStream<Path> all = Files.newDirectoryStream(tmp, PREFIX + "*")) {
            for (Path d : all) {
                if (!d.equals(own.toAbsolutePath()) && ours(d, me) && dead(d)) {
                    deleteTree(d);
                    removed++;
                }
            }
        } catch (IOException | UncheckedIOException | SecurityException e) {
            // the temporary directory is not ours to fail on
        }
        return removed;
    }

    private static boolean ours(Path d, UserPrincipal me) throws IOException {
        return Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS) && me.equals(Files.getOwner(d, LinkOption.NOFOLLOW_LINKS));
    }

    private static boolean dead(Path d) throws IOException {
        Path owner = d.resolve(OWNER);
        if (Files.isRegularFile(owner, LinkOption.NOFOLLOW_LINKS)) {
            try (FileChannel ch = FileChannel.open(owner, StandardOpenOption.WRITE)) {
                FileLock lock = ch.tryLock();
                if (lock == null) {
                    return false; // its server holds it
                }
                lock.release();
                return true;
            } catch (OverlappingFileLockException e) {
                return false; // this JVM's own
            }
        }
        String name = d.getFileName().toString();
        long pid;
        try {
            pid = Long.parseLong(name.substring(PREFIX.length()));
        } catch (NumberFormatException e) {
            return false;
        }
        return ProcessHandle.of(pid).isEmpty() && newest(d).toInstant().isBefore(Instant.now().minus(OLD_LAYOUT_AGE));
    }

    private static FileTime newest(Path d) throws IOException {
        try (Stream<Path> all = Files.walk(d)) {
            return all.map(p -> {
                try {
                    return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
                } catch (IOException e) {
                    return FileTime.from(Instant.now()); // unreadable: treat as fresh
                }
            }).max(Comparator.naturalOrder()).orElse(FileTime.from(Instant.now()));
        }
    }

    /**
     * Deletes a tree, quietly: links are not followed (a link is deleted, not its target), and a
     * tree that changes while it is walked (two deleters at once: the host's kill of a spare and
     * the spare's exit callback) is looked at again, a few times; what is left is for the next sweep.
     *
     * @param dir the tree, or null
     */
    static void deleteTree(Path dir) {
        for (int look = 0; look < 3 && dir != null && Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS); look++) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException | UncheckedIOException e) {
                // changed while walked, or a file that would not go: looked at again
            }
        }
    }
}
