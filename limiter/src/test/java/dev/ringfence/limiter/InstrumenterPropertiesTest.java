package dev.ringfence.limiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class InstrumenterPropertiesTest {
    private static final List<Path> JDK_CLASSES = jdkClasses();

    private static List<Path> jdkClasses() {
        try {
            FileSystem jrt = FileSystems.getFileSystem(URI.create("jrt:/"));
            try (Stream<Path> s = Files.walk(jrt.getPath("/modules/java.base/java/util"))) {
                return s.filter(p -> p.toString().endsWith(".class")).sorted().collect(Collectors.toList());
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Provide
    Arbitrary<Path> jdkClass() {
        return Arbitraries.of(JDK_CLASSES);
    }

    @Property(tries = 150)
    void everyInstrumentedClassVerifies(@ForAll("jdkClass") Path classFile, @ForAll Metering metering) throws IOException {
        byte[] original = Files.readAllBytes(classFile);
        Instrumenter.Result r = new Instrumenter(metering).instrument(original);
        assertEquals(List.of(), Instrumenter.verify(r.bytes()), classFile.toString());
    }

    /** A spin loop wrapped in random layers of handlers that try to swallow the abort. */
    @Provide
    Arbitrary<String> evasion() {
        Arbitrary<String> layer = Arbitraries.of(
                "try { %1$s } catch (Throwable t%2$d) { sink--; }",
                "try { %1$s } catch (Error e%2$d) { sink--; }",
                "try { %1$s } catch (Exception e%2$d) { sink--; }",
                "try { %1$s } finally { sink++; }",
                "while (on) { try { %1$s } catch (Throwable t%2$d) { continue; } }",
                "for (int i%2$d = 0; i%2$d < 3; i%2$d++) { try { %1$s } catch (Throwable t%2$d) { sink++; } }",
                "try { %1$s } catch (Throwable t%2$d) { try { throw t%2$d; } catch (Throwable u%2$d) { sink++; } }",
                "Runnable r%2$d = () -> { %1$s }; try { r%2$d.run(); } catch (Throwable t%2$d) { sink++; }",
                "synchronized (this) { %1$s }");
        return layer.list().ofMinSize(1).ofMaxSize(4).map(layers -> {
            String body = "while (on) { sink++; }";
            int id = 0;
            for (String l : layers) {
                body = String.format(l, body, id++);
            }
            return body;
        });
    }

    @Property(tries = 25)
    void aBudgetTripIsNeverSwallowed(@ForAll("evasion") String body) throws Exception {
        RunResult<Object> r = runEvader(body, Metering.COUNT, new Budgets(20_000_000_000L, 0, 300_000, 0));
        assertEquals(Outcome.FUEL_EXCEEDED, r.outcome(), body);
        assertTrue(r.fuel() >= 300_000, "ticks never go backwards: " + r.fuel());
    }

    @Property(tries = 15)
    void aGuardedTripIsNeverSwallowed(@ForAll("evasion") String body) throws Exception {
        RunResult<Object> r = runEvader(body, Metering.GUARD, new Budgets(20_000_000_000L, 20_000_000L, 0, 0));
        assertEquals(Outcome.CPU_EXCEEDED, r.outcome(), body + ": " + r.message());
        assertEquals(false, r.abandoned(), body);
    }

    private static RunResult<Object> runEvader(String body, Metering metering, Budgets budgets) throws Exception {
        String src = "package e; public class Evader implements java.util.concurrent.Callable<Object> {"
                + " static volatile long sink; static volatile boolean on = true;"
                + " @SuppressWarnings(\"finally\") public Object call() { " + body + " return \"escaped\"; } }";
        Map<String, byte[]> classes = Compiler.compile(Map.of("e.Evader", src));
        ClassLoader loader = new Compiler.InstrumentingLoader(classes, metering);
        @SuppressWarnings("unchecked")
        java.util.concurrent.Callable<Object> evader = (java.util.concurrent.Callable<Object>) loader
                .loadClass("e.Evader").getDeclaredConstructor().newInstance();
        return new MeteredExecutor("prop", 100_000_000L, 0).run(budgets, Policy.DENY_ALL, loader, evader);
    }
}
