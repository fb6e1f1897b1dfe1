package dev.ringfence.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code runtime} and {@code memory} keys of {@link RouteSettings}. */
class ProvidedSettingsTest {
    @TempDir
    Path dir;

    private RouteSettings read(String text) throws Exception {
        return RouteSettings.read(Files.writeString(dir.resolve("route.properties"), text), RouteDefaults.NONE);
    }

    @Test
    void shouldDefaultToAJavaHandlerWithoutAMemoryCap() throws Exception {
        RouteSettings s = read("handler=com.example.Hello\n");

        assertFalse(s.runtime().provided());
        assertEquals(0, s.runtime().memoryBytes());
        assertEquals(RouteSettings.FunctionRuntime.DEFAULT_MEMORY_MB, s.runtime().memoryMegabytes());
    }

    @Test
    void shouldTakeAProvidedRuntimeWithoutAHandlerClass() throws Exception {
        RouteSettings s = read("runtime=provided\nmemory=64m\n");

        assertTrue(s.runtime().provided());
        assertEquals("", s.handler());
        assertEquals(64L << 20, s.runtime().memoryBytes());
        assertEquals(64, s.runtime().memoryMegabytes());
    }

    @Test
    void shouldPassAProvidedRuntimesHandlerAsFreeText() throws Exception {
        assertEquals("src/index.handler", read("runtime=provided\nhandler=src/index.handler\n").handler());
    }

    @Test
    void shouldStillRequireAHandlerClassForJava() {
        SettingsException e = assertThrows(SettingsException.class, () -> read("memory=64m\n"));
        assertTrue(e.getMessage().contains("handler"), e.getMessage());
        assertThrows(SettingsException.class, () -> read("runtime=java\nhandler=not a class\n"));
    }

    @Test
    void shouldRefuseAnUnknownRuntimeOrATinyMemoryCap() {
        SettingsException bad = assertThrows(SettingsException.class, () -> read("runtime=node\n"));
        assertTrue(bad.getMessage().contains("runtime"), bad.getMessage());
        SettingsException tiny = assertThrows(SettingsException.class, () -> read("runtime=provided\nmemory=1m\n"));
        assertTrue(tiny.getMessage().contains("memory"), tiny.getMessage());
    }

    @Test
    void shouldTellSettingsApartByRuntime() throws Exception {
        RouteSettings java = read("handler=com.example.Hello\n");
        RouteSettings capped = read("handler=com.example.Hello\nmemory=64m\n");

        assertFalse(Route.same(java, capped));
        assertTrue(Route.same(java, read("handler=com.example.Hello\n")));
    }
}
