package dev.ringfence.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/** Writes small handler jars from classes on the benchmark's own class path. */
final class HandlerJars {
    private HandlerJars() {
    }

    /**
     * @param dir where to write
     * @param name the jar's file name
     * @param marker text of an extra resource, so that jars with the same classes differ in content
     * @param classes the classes to copy in
     * @return the jar
     * @throws IOException when it cannot be written
     */
    static Path write(Path dir, String name, String marker, Class<?>... classes) throws IOException {
        Path jar = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
            for (Class<?> c : classes) {
                String entry = c.getName().replace('.', '/') + ".class";
                try (InputStream in = c.getClassLoader().getResourceAsStream(entry)) {
                    j.putNextEntry(new JarEntry(entry));
                    in.transferTo(j);
                    j.closeEntry();
                }
            }
            j.putNextEntry(new JarEntry("marker.txt"));
            j.write(marker.getBytes(StandardCharsets.UTF_8));
            j.closeEntry();
        }
        return jar;
    }
}
