package dev.ringfence.agent.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.pipeline.MemoryLimits;
import dev.ringfence.agent.pipeline.RouteSettings;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServeConfigTest {
    private static final Path DIR = Path.of("routes");

    @Test
    void shouldDefaultToLoopbackPort8080() {
        ServeConfig c = ServeConfig.of(DIR, Map.of(), null);
        assertEquals("127.0.0.1", c.host());
        assertEquals(8080, c.port());
        assertEquals(256, c.threads());
        assertEquals(10_000_000_000L, c.drainNanos());
        assertEquals(MemoryLimits.DEFAULT, c.memory());
    }

    @Test
    void shouldTakeMemoryLimitsAsServerKeys() {
        ServeConfig c = ServeConfig.of(DIR, Map.of("memory.soft", "70%", "memory.hard", "off", "memory.interval", "1s"),
                null);
        assertEquals("70%", c.memory().soft().toString());
        assertTrue(c.memory().hard().off());
        assertEquals(1_000_000_000L, c.memory().intervalNanos());
        String tooBig = assertThrows(IllegalArgumentException.class,
                () -> ServeConfig.of(DIR, Map.of("memory.soft", "100000g"), Path.of("rf.properties"))).getMessage();
        assertTrue(tooBig.startsWith("rf.properties: memory.soft=100000g: larger than the heap's maximum"), tooBig);
    }

    @Test
    void shouldTakeTheWorkerCacheAsServerKeys() {
        assertEquals(null, ServeConfig.of(DIR, Map.of("worker.cache", "off"), null).workerCache());
        ServeConfig c = ServeConfig.of(DIR, Map.of("worker.cache", "/tmp/rf-startup", "worker.cache.max", "64m",
                "worker.cache.ttl", "12h"), null);
        assertEquals(Path.of("/tmp/rf-startup"), c.workerCache().directory());
        assertEquals(64L << 20, c.workerCache().maxBytes());
        assertEquals(java.time.Duration.ofHours(12), c.workerCache().ttl());
        assertEquals(java.time.Duration.ofDays(7), ServeConfig.of(DIR, Map.of(), null).workerCache().ttl());
        String bad = assertThrows(IllegalArgumentException.class,
                () -> ServeConfig.of(DIR, Map.of("worker.cache.ttl", "soon"), Path.of("rf.properties"))).getMessage();
        assertTrue(bad.startsWith("rf.properties: worker.cache.ttl=soon: not a duration"), bad);
    }

    @Test
    void shouldTakeRouteKeysAsEveryRoutesDefaults() {
        ServeConfig c = ServeConfig.of(DIR, Map.of("port", "0", "timeout", "2s", "maxQueue", "4"), Path.of("rf.properties"));
        assertEquals(0, c.port());
        RouteSettings s = RouteSettings.of(Map.of("handler", "a.B"), null, c.defaults());
        assertEquals(2_000_000_000L, s.budgets().wallNanos());
        assertEquals(4, s.maxQueue());
    }

    @Test
    void shouldNameTheKeyAndValueAtFault() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServeConfig.of(DIR, Map.of("port", "70000"), null))
                .getMessage().contains("port=70000"));
        String typo = assertThrows(IllegalArgumentException.class,
                () -> ServeConfig.of(DIR, Map.of("maxqueue", "3"), Path.of("rf.properties"))).getMessage();
        assertTrue(typo.startsWith("rf.properties: maxqueue=3: unknown key (did you mean maxQueue?)"), typo);
        assertThrows(IllegalArgumentException.class, () -> ServeConfig.of(DIR, Map.of("handler", "a.B"), null));
    }
}
