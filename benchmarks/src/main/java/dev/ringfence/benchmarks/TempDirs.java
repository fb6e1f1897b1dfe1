package dev.ringfence.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A benchmark's working directory in the system's temporary directory, removed with all it holds
 * (handler jars, channel files, a start-up cache of tens of megabytes) when the benchmark's JVM
 * exits, normally or on SIGTERM or Ctrl-C; a JVM killed outright leaves it.
 */
final class TempDirs {
    private TempDirs() {
    }

    /**
     * @param prefix the directory name's prefix
     * @return a new, empty directory, deleted at exit
     * @throws IOException when it cannot be made
     */
    static Path create(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir), "delete " + dir.getFileName()));
        return dir;
    }

    /** Deletes what it can of a tree (its files first), reporting on stderr what it could not. */
    static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (NoSuchFileException e) {
            // gone already
        } catch (IOException | UncheckedIOException e) {
            System.err.println("could not delete all of " + dir + ": " + e);
        }
    }
}
