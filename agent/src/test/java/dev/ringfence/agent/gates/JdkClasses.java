package dev.ringfence.agent.gates;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads class files of the running JDK from its {@code jrt:} file system. */
final class JdkClasses {
    private static final FileSystem JRT = FileSystems.getFileSystem(URI.create("jrt:/"));

    private JdkClasses() {
    }

    /**
     * @param internalName a JDK class, internal name
     * @return its class file, or null when this JDK has no such class
     */
    static byte[] read(String internalName) {
        int slash = internalName.lastIndexOf('/');
        String pkg = internalName.substring(0, slash).replace('/', '.');
        Path modules = JRT.getPath("/packages", pkg);
        if (!Files.isDirectory(modules)) {
            return null;
        }
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(modules)) {
            for (Path module : dir) {
                Path file = JRT.getPath("/modules", module.getFileName().toString(), internalName + ".class");
                if (Files.exists(file)) {
                    return Files.readAllBytes(file);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return null;
    }

    /** @return the running JDK's feature version */
    static int feature() {
        return Runtime.version().feature();
    }
}
