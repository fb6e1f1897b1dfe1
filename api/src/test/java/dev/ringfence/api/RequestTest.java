package dev.ringfence.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestTest {
    @Test
    void shouldKeepABuiltRequestApartFromLaterChangesToItsBuilder() {
        Request.Builder b = Request.builder("r").header("X-One", "1").query("a", "1");
        Request first = b.build();
        b.header("x-one", "2").header("X-Two", "2").query("a", "2").query("b", "3");
        Request second = b.build();
        assertEquals(Map.of("x-one", "1"), first.headers());
        assertEquals(Map.of("a", List.of("1")), first.query());
        assertEquals("1, 2", second.header("X-ONE"));
        assertEquals(List.of("1", "2"), second.query().get("a"));
        assertEquals(List.of("3"), second.query().get("b"));
    }

    @Test
    void shouldHandOutHeadersAndQueryThatCannotBeChanged() {
        Request r = Request.builder("r").header("a", "1").query("q", "1").build();
        assertThrows(UnsupportedOperationException.class, () -> r.headers().put("b", "2"));
        assertThrows(UnsupportedOperationException.class, () -> r.query().put("p", List.of()));
        assertThrows(UnsupportedOperationException.class, () -> r.query().get("q").add("2"));
    }
}
