package dev.ringfence.jfr;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/** Records what a test emits into a real recording file and reads it back. */
final class JfrFiles {
    private JfrFiles() {
    }

    static Path record(Path file, Configuration settings, Runnable emit) throws IOException {
        try (Recording recording = new Recording(settings)) {
            recording.start();
            emit.run();
            recording.stop();
            recording.dump(file);
        }
        return file;
    }

    static Path record(Path file, Runnable emit) throws IOException {
        return record(file, Jfc.configuration(), emit);
    }

    static List<RecordedEvent> events(Path file, String name) throws IOException {
        return RecordingFile.readAllEvents(file).stream()
                .filter(event -> event.getEventType().getName().equals(name))
                .collect(Collectors.toList());
    }

    static RecordedEvent only(Path file, String name) throws IOException {
        List<RecordedEvent> events = events(file, name);
        if (events.size() != 1) {
            throw new AssertionError("expected one " + name + " event, found " + events.size());
        }
        return events.get(0);
    }
}
