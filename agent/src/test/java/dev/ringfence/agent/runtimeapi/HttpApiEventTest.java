package dev.ringfence.agent.runtimeapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Request;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HttpApiEventTest {
    private static Map<?, ?> event(Request r) throws Exception {
        return (Map<?, ?>) JsonReader.parse(HttpApiEvent.of(r, "orders", 1_795_000_000_123L));
    }

    @Test
    void shouldMapARequestToAPayload2Event() throws Exception {
        Request r = Request.builder("req-1").method("PUT").path("/a b/c").header("Content-Type", "application/json")
                .header("Cookie", "x=1; y=2").header("Host", "example.test").query("q", "a&b").query("q", "c")
                .query("empty", "").body("{\"k\":\"v\"}").remoteAddress("[::1]:4242").build();

        Map<?, ?> e = event(r);

        assertEquals("2.0", e.get("version"));
        assertEquals("/a b/c", e.get("rawPath"));
        assertEquals("q=a%26b&q=c&empty=", e.get("rawQueryString"));
        assertEquals(Map.of("q", "a&b,c", "empty", ""), e.get("queryStringParameters"));
        assertEquals(List.of("x=1", "y=2"), e.get("cookies"));
        Map<?, ?> headers = (Map<?, ?>) e.get("headers");
        assertEquals("application/json", headers.get("content-type"));
        assertFalse(headers.containsKey("cookie"));
        assertEquals("{\"k\":\"v\"}", e.get("body"));
        assertEquals(false, e.get("isBase64Encoded"));
        Map<?, ?> ctx = (Map<?, ?>) e.get("requestContext");
        assertEquals("req-1", ctx.get("requestId"));
        assertEquals("example.test", ctx.get("domainName"));
        assertEquals("orders", ctx.get("apiId"));
        assertEquals(1_795_000_000_123L, ((Number) ctx.get("timeEpoch")).longValue());
        assertEquals("18/Nov/2026:11:06:40 +0000", ctx.get("time"));
        Map<?, ?> http = (Map<?, ?>) ctx.get("http");
        assertEquals("PUT", http.get("method"));
        assertEquals("::1", http.get("sourceIp"));
    }

    @Test
    void shouldLeaveOutAnEmptyBodyAndAbsentQuery() throws Exception {
        Map<?, ?> e = event(Request.builder("r").build());

        assertFalse(e.containsKey("body"));
        assertFalse(e.containsKey("queryStringParameters"));
        assertFalse(e.containsKey("cookies"));
        assertEquals("", e.get("rawQueryString"));
        assertEquals(false, e.get("isBase64Encoded"));
    }

    @Test
    void shouldEncodeBinaryAndInvalidUtf8BodiesAsBase64() throws Exception {
        byte[] invalid = {(byte) 0xc3, (byte) 0x28};
        for (Request r : List.of(Request.builder("r").header("content-type", "image/png").body("png?").build(),
                Request.builder("r").header("content-type", "text/plain").body(invalid).build(),
                Request.builder("r").body("no type").build())) {
            Map<?, ?> e = event(r);

            assertEquals(true, e.get("isBase64Encoded"));
            assertEquals(new String(r.body(), StandardCharsets.ISO_8859_1),
                    new String(Base64.getDecoder().decode((String) e.get("body")), StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void shouldTreatTextualContentTypesAsText() {
        for (String t : List.of("text/html", "application/json; charset=utf-8", "application/vnd.api+json",
                "application/xml", "image/svg+xml", "application/javascript", "application/x-www-form-urlencoded")) {
            assertTrue(HttpApiEvent.textual(t), t);
        }
        for (String t : List.of("application/octet-stream", "image/png", "multipart/form-data; boundary=x")) {
            assertFalse(HttpApiEvent.textual(t), t);
        }
    }
}
