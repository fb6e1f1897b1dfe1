package dev.ringfence.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {
    @Test
    void shouldDefaultToGatesOnWithNoArguments() {
        assertTrue(AgentConfig.parse(null).gatesOn());
        assertTrue(AgentConfig.parse("").gatesOn());
    }

    @Test
    void shouldLetInlineSettingsOverrideTheConfigFile(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("agent.properties"), "gates=on\n");
        AgentConfig c = AgentConfig.parse("config=" + file + ",gates=off");
        assertFalse(c.gatesOn());
        assertEquals(file.toString(), c.get("config"));
    }

    @Test
    void shouldRejectUnknownKeysMalformedPairsAndMissingFiles() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse("frob=1")).getMessage()
                .contains("frob"));
        assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse("gates"));
        assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse("gates=maybe"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse("config=/no/such/file"))
                .getMessage().contains("/no/such/file"));
    }

    @Test
    void shouldPassEveryOtherKeyToServeWhenServing() {
        AgentConfig c = AgentConfig.parse("serve=/srv/routes,port=0,timeout=2s,gates=on");
        assertEquals("/srv/routes", c.serveDir());
        assertEquals(java.util.Map.of("port", "0", "timeout", "2s"), c.serveSettings());
    }

    @Test
    void shouldRejectServerKeysWithoutServeAndAnEmptyServe() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse("port=8080")).getMessage()
                .contains("port"));
        assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse("serve="));
        assertEquals(null, AgentConfig.parse("gates=on").serveDir());
    }
}
