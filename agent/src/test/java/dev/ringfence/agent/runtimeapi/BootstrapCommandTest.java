package dev.ringfence.agent.runtimeapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.pipeline.RouteDefaults;
import dev.ringfence.agent.pipeline.RouteSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootstrapCommandTest {
    @TempDir
    Path dir;

    private RouteSettings settings(String text) throws Exception {
        return RouteSettings.read(Files.writeString(dir.resolve("route.properties"), text), RouteDefaults.NONE);
    }

    @Test
    void shouldPassOnlyTheBasicsAndWhatPolicyEnvAllows() throws Exception {
        RouteSettings s = settings("runtime=provided\nhandler=app.main\nmemory=32m\npolicy.env=GREETING\n");

        Map<String, String> env = BootstrapCommand.environment("orders", "abc123", dir, s, "127.0.0.1:4000",
                Map.of("PATH", "/usr/bin", "GREETING", "hi", "DATABASE_PASSWORD", "secret",
                        "AWS_LAMBDA_RUNTIME_API", "elsewhere:1"));

        assertEquals("/usr/bin", env.get("PATH"));
        assertEquals("hi", env.get("GREETING"));
        assertFalse(env.containsKey("DATABASE_PASSWORD"));
        assertEquals("127.0.0.1:4000", env.get("AWS_LAMBDA_RUNTIME_API"), "the server's own value wins");
        assertEquals("app.main", env.get("_HANDLER"));
        assertEquals("orders", env.get("AWS_LAMBDA_FUNCTION_NAME"));
        assertEquals("abc123", env.get("AWS_LAMBDA_FUNCTION_VERSION"));
        assertEquals("32", env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"));
        assertEquals(dir.toAbsolutePath().toString(), env.get("LAMBDA_TASK_ROOT"));
        assertEquals(BootstrapCommand.REGION, env.get("AWS_REGION"));
        assertEquals(BootstrapCommand.REGION, env.get("AWS_DEFAULT_REGION"));
    }

    @Test
    void shouldRunTheBootstrapItselfLastUnderItsMemoryCap() {
        Path bootstrap = dir.resolve("bootstrap");

        List<String> capped = BootstrapCommand.command(bootstrap, 64L << 20);
        List<String> plain = BootstrapCommand.command(bootstrap, 0);

        assertTrue(capped.contains(bootstrap.toAbsolutePath().toString()), capped.toString());
        assertTrue(capped.stream().anyMatch(a -> a.equals("--as=" + (64L << 20)) || a.equals(Long.toString(64L << 10))),
                capped.toString());
        assertEquals(bootstrap.toAbsolutePath().toString(), plain.get(plain.size() - 1));
        assertFalse(plain.stream().anyMatch(a -> a.startsWith("--as=")), plain.toString());
    }
}
