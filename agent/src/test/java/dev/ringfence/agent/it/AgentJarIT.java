package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

class AgentJarIT {
    @Test
    void shouldHoldNoClassOutsideDevRingfence() throws IOException {
        List<String> outside = new ArrayList<>();
        int classes = 0;
        try (JarFile jar = new JarFile(Cli.AGENT_JAR.toFile())) {
            Enumeration<JarEntry> e = jar.entries();
            while (e.hasMoreElements()) {
                String name = e.nextElement().getName();
                if (!name.endsWith(".class")) {
                    continue;
                }
                classes++;
                // multi-release entries count too: META-INF/versions/N/<class path>
                String path = name.startsWith("META-INF/versions/") ? name.replaceFirst("META-INF/versions/\\d+/", "") : name;
                if (!path.startsWith("dev/ringfence/")) {
                    outside.add(name);
                }
            }
        }
        assertTrue(classes > 100, "the jar holds the shaded dependencies: " + classes);
        assertEquals(List.of(), outside);
    }

    @Test
    void shouldCarryTheAgentManifestAttributes() throws IOException {
        try (JarFile jar = new JarFile(Cli.AGENT_JAR.toFile())) {
            Attributes a = jar.getManifest().getMainAttributes();
            assertEquals("dev.ringfence.agent.AgentEntry", a.getValue("Premain-Class"));
            assertEquals("dev.ringfence.agent.AgentEntry", a.getValue("Agent-Class"));
            assertEquals("dev.ringfence.agent.cli.Main", a.getValue("Main-Class"));
            assertEquals("true", a.getValue("Can-Redefine-Classes"));
            assertEquals("true", a.getValue("Can-Retransform-Classes"));
        }
    }

    @Test
    void shouldShadeAsmUnderDevRingfence() throws IOException {
        try (JarFile jar = new JarFile(Cli.AGENT_JAR.toFile())) {
            assertTrue(jar.getEntry("dev/ringfence/shaded/asm/ClassReader.class") != null);
        }
    }

    @Test
    void shouldShadeAgronaUnderDevRingfence() throws IOException {
        try (JarFile jar = new JarFile(Cli.AGENT_JAR.toFile())) {
            assertTrue(jar.getEntry("dev/ringfence/shaded/agrona/concurrent/ringbuffer/OneToOneRingBuffer.class") != null);
            assertTrue(jar.getEntry("org/agrona/concurrent/ringbuffer/OneToOneRingBuffer.class") == null);
        }
    }
}
