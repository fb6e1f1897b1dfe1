package dev.ringfence.agent.runtimeapi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ringfence.api.Response;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ProxyResultTest {
    private static Response map(String payload) {
        return ProxyResult.toResponse(payload.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldAnswerAProxyResultWithItsStatusHeadersAndBody() {
        Response r = map("{\"statusCode\":404,\"headers\":{\"Content-Type\":\"text/html\",\"x-n\":3,\"x-b\":true,"
                + "\"x-skip\":{}},\"body\":\"<p>gone</p>\",\"cookies\":[\"a=1\",\"b=2\"]}");

        assertEquals(404, r.status());
        assertEquals("text/html", r.contentType());
        assertEquals("3", r.headers().get("x-n"));
        assertEquals("true", r.headers().get("x-b"));
        assertEquals(null, r.headers().get("x-skip"));
        assertEquals("a=1", r.headers().get("Set-Cookie"));
        assertEquals("<p>gone</p>", r.bodyAsString());
    }

    @Test
    void shouldDecodeABase64Body() {
        byte[] bytes = {0, (byte) 0xff, 7};

        Response r = map("{\"statusCode\":200,\"isBase64Encoded\":true,\"body\":\""
                + Base64.getEncoder().encodeToString(bytes) + "\"}");

        assertArrayEquals(bytes, r.body());
        assertEquals(ProxyResult.JSON, r.contentType());
    }

    @Test
    void shouldWriteANonStringBodyAsJson() {
        assertEquals("{\"a\":[1,2]}", map("{\"statusCode\":200,\"body\":{\"a\":[1,2]}}").bodyAsString());
        assertEquals(0, map("{\"statusCode\":204}").body().length);
    }

    @Test
    void shouldAnswerAnythingElseAs200JsonByteForByte() {
        for (String payload : new String[] {"{\"message\":\"hi\"}", "[1,2]", "\"text\"", "42", "not json at all", ""}) {
            Response r = map(payload);

            assertEquals(200, r.status(), payload);
            assertEquals(ProxyResult.JSON, r.contentType());
            assertEquals(payload, r.bodyAsString());
        }
    }

    @Test
    void shouldRefuseAMalformedProxyResult() {
        for (String bad : new String[] {"{\"statusCode\":99}", "{\"statusCode\":600}", "{\"statusCode\":200.5}",
                "{\"statusCode\":\"200\"}", "{\"statusCode\":200,\"headers\":[]}",
                "{\"statusCode\":200,\"isBase64Encoded\":true,\"body\":\"%%%\"}"}) {
            assertThrows(IllegalArgumentException.class, () -> map(bad), bad);
        }
    }
}
