package dev.ringfence.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResponseTest {
    @Test
    void shouldCopyHeadersSoTheHandlerCannotChangeThemLater() {
        Map<String, String> h = new HashMap<>();
        h.put("x-a", "1");
        Response r = Response.ok("hi").withHeaders(h);
        h.put("x-a", "2");
        assertEquals("1", r.headers().get("x-a"));
    }

    @Test
    void shouldCopyBodyBytes() {
        byte[] b = {1, 2, 3};
        Response r = Response.bytes(201, b, "application/octet-stream");
        b[0] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, r.body());
        assertEquals(201, r.status());
    }

    @Test
    void shouldRejectImpossibleStatus() {
        assertThrows(IllegalArgumentException.class, () -> Response.status(42));
    }

    @Test
    void shouldLowerCaseAndJoinRepeatedHeaders() {
        Request r = Request.builder("id").header("X-A", "1").header("x-a", "2").query("q", "1").query("q", "2").build();
        assertEquals("1, 2", r.header("X-A"));
        assertEquals("1", r.queryParam("q"));
        assertEquals(2, r.query().get("q").size());
    }
}
