package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeUsageIT {
    private static void assertUsageError(Cli.Run r, String expected) {
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.out().isEmpty(), r.toString());
        String lines = r.err().lines().filter(l -> l.startsWith("ringfence:")).reduce("", (a, b) -> a + b + "\n");
        assertEquals(1, lines.lines().count(), r.toString());
        assertTrue(lines.contains(expected), r.toString());
    }

    @Test
    void shouldExplainAMissingDirectory() {
        assertUsageError(Cli.agent("serve"), "serve needs a routes directory");
        assertUsageError(Cli.agent("serve", "/no/such/routes"), "no such routes directory: /no/such/routes");
    }

    @Test
    void shouldExplainABadPortAndABadSettingsFile(@TempDir Path dir) throws Exception {
        assertUsageError(Cli.agent("serve", dir.toString(), "--port", "http"), "port=http: not a whole number");
        Path config = Files.writeString(dir.resolve("ringfence.properties"), "timeout=soon\n");
        assertUsageError(Cli.agent("serve", dir.toString(), "--config", config.toString()), "timeout=soon");
    }
}
