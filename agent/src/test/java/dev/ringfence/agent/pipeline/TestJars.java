package dev.ringfence.agent.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds handler jars at test time from classes on the test class path (samples, fixtures). */
public final class TestJars {
    private TestJars() {
    }

    /**
     * Writes a jar holding the class files of some classes and a marker entry, so two jars of the
     * same classes with different markers are different versions.
     *
     * @param jar where to write it (its folder is created)
     * @param marker the marker entry's text
     * @param classes top-level classes without nested ones
     * @return the jar
     */
    public static Path jar(Path jar, String marker, Class<?>... classes) {
        try {
            Files.createDirectories(jar.toAbsolutePath().getParent());
            try (OutputStream out = Files.newOutputStream(jar); ZipOutputStream zip = new ZipOutputStream(out)) {
                for (Class<?> c : classes) {
                    String entry = c.getName().replace('.', '/') + ".class";
                    try (InputStream in = c.getClassLoader().getResourceAsStream(entry)) {
                        zip.putNextEntry(new ZipEntry(entry));
                        zip.write(in.readAllBytes());
                        zip.closeEntry();
                    }
                }
                zip.putNextEntry(new ZipEntry("marker.txt"));
                zip.write(marker.getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
