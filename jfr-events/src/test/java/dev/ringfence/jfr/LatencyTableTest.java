package dev.ringfence.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LatencyTableTest {
    @Test
    void shouldRenderNanosAsMillisWithThreeDecimals() {
        assertEquals("0.000", LatencyTable.millis(0));
        assertEquals("1.235", LatencyTable.millis(1_234_567));
        assertEquals("12345.678", LatencyTable.millis(12_345_678_000L));
    }
}
