package dev.ringfence.agent.process;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartupTrainerTest {
    static volatile boolean initialised;

    /** Its static initialiser must not run in the recording JVM. */
    static final class Marked {
        static {
            initialised = true;
        }

        private Marked() {
        }
    }

    @TempDir
    Path dir;

    @Test
    void shouldLoadListedClassesOfTheBuiltinLoadersWithoutInitialisingThem() throws Exception {
        Path list = Files.write(dir.resolve("classes.txt"), List.of(
                "# NOTE: Do not modify this file.",
                "@lambda-form-invoker [LF_RESOLVE] java.lang.invoke.DirectMethodHandle$Holder invokeStatic L7_L",
                "java/lang/String",
                Marked.class.getName().replace('.', '/') + " id: 7",
                "com/example/Custom id: 8 super: 0 source: /tmp/custom.jar",
                "no/such/Clazz",
                ""));

        int[] counts = StartupTrainer.load(list, StartupTrainerTest.class.getClassLoader());

        assertArrayEquals(new int[] {2, 1}, counts, "String and Marked loaded, the missing one skipped");
        assertFalse(initialised, "a listed class was initialised");
    }
}
