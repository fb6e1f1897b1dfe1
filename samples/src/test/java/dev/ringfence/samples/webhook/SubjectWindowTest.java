package dev.ringfence.samples.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SubjectWindowTest {
    @Test
    void shouldReportTheThresholdOnceForRepeatsWithinTheWindow() {
        SubjectWindow w = new SubjectWindow(1_000, 3);
        assertFalse(w.arrive(7, 0));
        assertFalse(w.arrive(7, 100));
        assertTrue(w.arrive(7, 200), "the third within the window");
        assertFalse(w.arrive(7, 300), "reported once");
        assertEquals(1, w.tracked());
    }

    @Test
    void shouldForgetArrivalsOlderThanTheWindow() {
        SubjectWindow w = new SubjectWindow(1_000, 3);
        w.arrive(7, 0);
        w.arrive(7, 100);
        assertFalse(w.arrive(7, 1_500), "the first two left the window");
        assertFalse(w.arrive(7, 1_600));
        assertTrue(w.arrive(7, 1_700));
    }
}
