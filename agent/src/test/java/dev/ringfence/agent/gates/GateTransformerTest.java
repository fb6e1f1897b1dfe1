package dev.ringfence.agent.gates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The transformer the agent registers: what it touches, and that it never throws. */
class GateTransformerTest {
    private final GateTransformer transformer = new GateTransformer(null, null, GateTransformer.OnFailure.RECORD);

    @Test
    void shouldWeaveATableClassOfTheBootLoader() {
        byte[] runtime = JdkClasses.read("java/lang/Runtime");
        assertNotNull(transformer.transform(null, "java/lang/Runtime", null, null, runtime));
    }

    @Test
    void shouldIgnoreClassesOfApplicationLoaders() {
        byte[] runtime = JdkClasses.read("java/lang/Runtime");
        ClassLoader app = GateTransformerTest.class.getClassLoader();
        assertNull(transformer.transform(app, "java/lang/Runtime", null, null, runtime));
    }

    @Test
    void shouldHaltAChildWhoseGatedClassCannotBeWovenAsItLoads() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), HaltOnFailureMain.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(Gates.EXIT_GATES_BROKEN, p.exitValue(), out);
        assertTrue(out.contains("this child stops"), out);
        assertFalse(out.contains("ungated"), out);
    }

    @Test
    void shouldRecordAMalformedClassInsteadOfThrowing() {
        assertNull(transformer.transform(null, "java/lang/Runtime", null, null, new byte[] {1, 2, 3}));
        assertEquals(1, transformer.failures().size());
    }
}
