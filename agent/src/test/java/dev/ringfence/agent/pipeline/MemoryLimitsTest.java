package dev.ringfence.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MemoryLimitsTest {
    private static final long MB = 1 << 20;

    private static String refused(Map<String, String> values, long maxHeap) {
        return assertThrows(IllegalArgumentException.class,
                () -> MemoryLimits.of(values, "rf.properties: ").check(maxHeap, "rf.properties: ")).getMessage();
    }

    @Test
    void shouldDefaultToEightyAndNinetyFivePercentEveryFiveSeconds() {
        MemoryLimits l = MemoryLimits.of(Map.of(), "");
        assertEquals(MemoryLimits.DEFAULT, l);
        assertEquals(800 * MB, l.soft().bytes(1000 * MB));
        assertEquals(950 * MB, l.hard().bytes(1000 * MB));
        assertEquals(5_000_000_000L, l.intervalNanos());
        assertEquals(5, l.retryAfterSeconds());
    }

    @Test
    void shouldTakeSharesSizesAndOff() {
        MemoryLimits l = MemoryLimits.of(Map.of("memory.soft", "600m", "memory.hard", "87.5%", "memory.interval", "250ms"), "");
        assertEquals(600 * MB, l.soft().bytes(1000 * MB));
        assertEquals(875 * MB, l.hard().bytes(1000 * MB));
        assertEquals("600m", l.soft().toString());
        assertEquals("87.5%", l.hard().toString());
        assertEquals(1, l.retryAfterSeconds());
        MemoryLimits off = MemoryLimits.of(Map.of("memory.soft", "off", "memory.interval", "0"), "");
        assertEquals(-1, off.soft().bytes(1000 * MB));
        assertTrue(off.off());
    }

    @Test
    void shouldNotResolveASharesOfAHeapWithoutAMaximum() {
        assertEquals(-1, MemoryLimits.DEFAULT.soft().bytes(-1));
        assertEquals(-1, MemoryLimits.DEFAULT.check(-1, "").hard().bytes(-1));
    }

    @Test
    void shouldRefuseAHardLimitNotAboveTheSoftOne() {
        assertEquals("rf.properties: memory.hard=70%: must be above memory.soft (80%)",
                refused(Map.of("memory.hard", "70%"), 1000 * MB));
        String mixed = refused(Map.of("memory.soft", "900m", "memory.hard", "50%"), 1000 * MB);
        assertTrue(mixed.startsWith("rf.properties: memory.hard=50%: must be above memory.soft (900m): with this heap's"
                + " maximum of 1000.0 MB they are 500.0 MB and 900.0 MB"), mixed);
    }

    @Test
    void shouldNameTheKeyAndValueAtFault() {
        assertEquals("rf.properties: memory.soft=lots: not a share of the heap or a size (like 80% or 800m), nor off",
                refused(Map.of("memory.soft", "lots"), 1000 * MB));
        assertEquals("rf.properties: memory.soft=120%: must be above 0% and at most 100%",
                refused(Map.of("memory.soft", "120%"), 1000 * MB));
        assertEquals("rf.properties: memory.soft=0: must be above 0 (write off for no limit)",
                refused(Map.of("memory.soft", "0"), 1000 * MB));
        assertEquals("rf.properties: memory.interval=10ms: must be between 100ms and 1h (0 turns the memory watch off)",
                refused(Map.of("memory.interval", "10ms"), 1000 * MB));
        assertEquals("rf.properties: memory.hard=2g: larger than the heap's maximum of 1000.0 MB (-Xmx)",
                refused(Map.of("memory.hard", "2g"), 1000 * MB));
    }
}
