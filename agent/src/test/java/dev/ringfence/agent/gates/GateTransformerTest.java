package dev.ringfence.agent.gates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The transformer the agent registers: what it touches, and that it never throws. */
class GateTransformerTest {
    private final GateTransformer transformer = new GateTransformer(null, null, false);

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
    void shouldRecordAMalformedClassInsteadOfThrowing() {
        assertNull(transformer.transform(null, "java/lang/Runtime", null, null, new byte[] {1, 2, 3}));
        assertEquals(1, transformer.failures().size());
    }
}
