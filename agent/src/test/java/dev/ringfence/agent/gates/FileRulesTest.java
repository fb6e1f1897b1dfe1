package dev.ringfence.agent.gates;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The directories no handler touches: one reserved above others stands for them, and a child is handed them. */
class FileRulesTest {
    @TempDir
    Path dir;

    @Test
    void shouldKeepOnlyTheOutermostReservedDirectory() throws Exception {
        Path server = dir.toRealPath().resolve("ringfence-workers-1");
        Path route = server.resolve("route");

        FileRules.reserve(route);
        assertTrue(FileRules.reservedDirectories().contains(route));
        FileRules.reserve(server);
        FileRules.reserve(server.resolve("other-route"));

        List<Path> reserved = FileRules.reservedDirectories();
        assertTrue(reserved.contains(server), reserved.toString());
        assertFalse(reserved.contains(route), "covered by its server's directory: " + reserved);
        assertFalse(reserved.contains(server.resolve("other-route")), reserved.toString());
        List<String> option = List.of(Gates.reserveOption().substring(("-D" + Gates.RESERVE_PROPERTY + "=").length())
                .split(File.pathSeparator));
        assertTrue(option.contains(server.toString()), "a child is handed it: " + option);
    }
}
