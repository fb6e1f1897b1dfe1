package dev.ringfence.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class UnitsTest {
    @Test
    void shouldReadDurationsInEveryUnit() {
        assertEquals(200_000_000L, Units.nanos("200ms"));
        assertEquals(2_000_000_000L, Units.nanos("2s"));
        assertEquals(60_000_000_000L, Units.nanos("1m"));
        assertEquals(500_000L, Units.nanos("500us"));
        assertEquals(7L, Units.nanos("7ns"));
        assertEquals(15_000_000L, Units.nanos("15"), "a bare number is milliseconds");
    }

    @Test
    void shouldReadSizesInPowersOf1024() {
        assertEquals(64L << 20, Units.bytes("64m"));
        assertEquals(512L << 10, Units.bytes("512k"));
        assertEquals(1L << 30, Units.bytes("1G"));
        assertEquals(100, Units.bytes("100"));
    }

    @Test
    void shouldRejectWhatIsNotAUnitWithAOneLineMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.nanos("soon"));
        assertTrue(e.getMessage().contains("'soon'") && !e.getMessage().contains("\n"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Units.bytes("-1m"));
        assertThrows(ArithmeticException.class, () -> Units.bytes("99999999999999g"));
        assertThrows(IllegalArgumentException.class, () -> Units.count("1.5"));
    }
}
