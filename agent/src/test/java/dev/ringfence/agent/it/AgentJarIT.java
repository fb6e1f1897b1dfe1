package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
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
            for (JarEntry entry : classFiles(jar)) {
                classes++;
                String name = entry.getName();
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

    /**
     * The JVM's start-up archives (AppCDS, the JDK 25 AOT cache) hold no class file older than
     * Java 6; ASM's, compiled for Java 5, are rewritten by the build (src/build/UpgradeClassVersions.java).
     */
    @Test
    void shouldHoldNoClassFileOlderThanJava6() throws IOException {
        List<String> old = new ArrayList<>();
        int asm = 0;
        try (JarFile jar = new JarFile(Cli.AGENT_JAR.toFile())) {
            for (JarEntry entry : classFiles(jar)) {
                byte[] head;
                try (InputStream in = jar.getInputStream(entry)) {
                    head = in.readNBytes(8);
                }
                int major = ((head[6] & 0xff) << 8) | (head[7] & 0xff);
                if (major < 50) {
                    old.add(entry.getName() + " (" + major + ")");
                }
                if (entry.getName().startsWith("dev/ringfence/shaded/asm/")) {
                    asm++;
                }
            }
        }
        assertTrue(asm > 50, "ASM is in the jar: " + asm);
        assertEquals(List.of(), old);
    }

    /** The rewritten classes' frames are right: a JVM verifies each as it links it. */
    @Test
    void shouldVerifyEveryRewrittenClass() {
        String cp = Cli.AGENT_JAR + File.pathSeparator + Path.of("target", "test-classes").toAbsolutePath();
        Cli.Run r = Cli.exec(List.of(Cli.JAVA, "-cp", cp, LinkJarClasses.class.getName(), Cli.AGENT_JAR.toString(),
                "dev/ringfence/shaded/asm/"), 120);
        assertEquals(0, r.exit(), r.toString());
        int linked = Integer.parseInt(r.out().get(0).substring("linked ".length()));
        assertTrue(linked > 50, r.toString());
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

    private static List<JarEntry> classFiles(JarFile jar) {
        List<JarEntry> out = new ArrayList<>();
        Enumeration<JarEntry> e = jar.entries();
        while (e.hasMoreElements()) {
            JarEntry entry = e.nextElement();
            if (entry.getName().endsWith(".class")) {
                out.add(entry);
            }
        }
        return out;
    }
}
