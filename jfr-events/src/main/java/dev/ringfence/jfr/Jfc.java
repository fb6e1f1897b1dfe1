package dev.ringfence.jfr;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import jdk.jfr.Configuration;

/**
 * The {@code ringfence.jfc} recording settings shipped in this jar: every {@code ringfence.*}
 * event enabled with a zero threshold, plus GC, CPU-load, heap and metaspace events from the JDK.
 */
public final class Jfc {
    /** Class-path location of the settings file. */
    public static final String RESOURCE = "/dev/ringfence/jfr/ringfence.jfc";

    private Jfc() {
    }

    /**
     * Reads the settings file.
     *
     * @return the XML text of {@code ringfence.jfc}
     * @throws IllegalStateException if the resource is missing from the class path
     * @throws UncheckedIOException if it cannot be read
     */
    public static String text() {
        try (InputStream in = Jfc.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /**
     * Writes the settings to a file, so that a JVM can be started with
     * {@code -XX:StartFlightRecording:settings=<target>}. Parent directories are created and an
     * existing file is replaced.
     *
     * @param target the file to write
     * @return {@code target}
     * @throws IOException if the file cannot be written
     */
    public static Path copyTo(Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        return Files.writeString(target, text(), StandardCharsets.UTF_8);
    }

    /**
     * Parses the settings into a configuration for {@code new Recording(Configuration)} or
     * {@code new RecordingStream(Configuration)}.
     *
     * @return the parsed settings, named {@code ringfence}
     * @throws IllegalStateException if the shipped file does not parse
     */
    public static Configuration configuration() {
        try (Reader reader = new StringReader(text())) {
            return Configuration.create(reader);
        } catch (IOException | ParseException e) {
            throw new IllegalStateException("cannot parse " + RESOURCE + ": " + e.getMessage(), e);
        }
    }
}
