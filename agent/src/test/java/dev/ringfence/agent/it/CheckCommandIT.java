package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class CheckCommandIT {
    static List<Path> realWorldJars() throws IOException {
        Path dir = Path.of(System.getProperty("ringfence.realWorldJars", "target/real-world-jars"));
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".jar")).sorted().collect(Collectors.toList());
        }
    }

    @ParameterizedTest
    @MethodSource("realWorldJars")
    void shouldInstrumentAndVerifyEveryClassOfARealWorldJar(Path jar) {
        Cli.Run r = Cli.agent("check", jar.toString());
        String last = r.lastLine();
        assertTrue(last.matches("classes=\\d+ instrumented=\\d+ failed=0"), r.toString());
        int classes = Integer.parseInt(last.replaceAll("classes=(\\d+).*", "$1"));
        assertTrue(classes > 200, "a real jar: " + last);
        assertEquals(0, r.exit(), r.toString());
    }

    @Test
    void shouldFindSixRealWorldJars() throws IOException {
        assertEquals(6, realWorldJars().size(), "guava, jackson, kotlin, scala, h2, netty");
    }

    @Test
    void shouldListSampleClassesThatMentionDeniedApis() {
        Cli.Run r = Cli.agent("check", Cli.SAMPLES_JAR.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().stream().anyMatch(l -> l.startsWith("denied-api ") && l.contains("java.lang.System.exit")), r.toString());
    }

    @Test
    void shouldExitTwoForAMissingJar() {
        Cli.Run r = Cli.agent("check", "/no/such.jar");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("no such jar"), r.err());
    }
}
