package dev.ringfence.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoopbackHttpTest {
    private static InputStream stream(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void shouldReadTwoKeptAliveResponsesWithContentLength() throws IOException {
        InputStream in = stream("HTTP/1.1 200 OK\r\nContent-length: 10\r\nX-ringfence-outcome: OK\r\n\r\nhello, ada"
                + "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\nRetry-After: 1\r\n\r\n{}");
        LoopbackHttp.Response a = LoopbackHttp.read(in);
        assertEquals(200, a.status());
        assertEquals("hello, ada", a.bodyText());
        assertEquals("OK", a.header("X-Ringfence-Outcome"));
        assertFalse(a.close());
        LoopbackHttp.Response b = LoopbackHttp.read(in);
        assertEquals(503, b.status());
        assertEquals("{}", b.bodyText());
        assertEquals("1", b.header("retry-after"));
        assertThrows(LoopbackHttp.FirstByteEof.class, () -> LoopbackHttp.read(in), "the stream ends between responses");
    }

    @Test
    void shouldReadAChunkedBodyWithTrailers() throws IOException {
        LoopbackHttp.Response r = LoopbackHttp.read(stream(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n7\r\n, world\r\n0\r\nT: 1\r\n\r\n"));
        assertEquals("hello, world", r.bodyText());
    }

    @Test
    void shouldMarkConnectionCloseAndReadToTheEndWithoutALength() throws IOException {
        assertTrue(LoopbackHttp.read(stream("HTTP/1.1 503 x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")).close());
        LoopbackHttp.Response r = LoopbackHttp.read(stream("HTTP/1.1 200 OK\r\n\r\nuntil the end"));
        assertEquals("until the end", r.bodyText());
        assertTrue(r.close());
    }

    @Test
    void shouldRefuseTruncatedAndMalformedResponses() {
        assertThrows(EOFException.class, () -> LoopbackHttp.read(stream("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello")));
        assertThrows(EOFException.class, () -> LoopbackHttp.read(stream("HTTP/1.1 200 OK\r\nContent-Le")));
        assertThrows(IOException.class, () -> LoopbackHttp.read(stream("SSH-2.0-OpenSSH\r\n\r\n")));
        assertThrows(IOException.class, () -> LoopbackHttp.read(stream("HTTP/1.1 200 OK\r\nno colon\r\n\r\n")));
        assertThrows(IOException.class, () -> LoopbackHttp.read(stream("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")));
    }

    @Test
    void shouldPickTheStatusFiguresOutOfStatusJson() throws IOException {
        String json = "{\"routes\":[{\"name\":\"hot\",\"requests\":3}],\"loaders\":{\"alive\":2,\"unloaded\":7,\"leaked\":0},"
                + "\"jvm\":{\"heapUsedBytes\":21519032,\"metaspaceUsedBytes\":14200312,\"loadedClasses\":3151}}";
        Map<String, Long> m = ServeLoad.numbers(json, "alive", "unloaded", "leaked", "loadedClasses");
        assertEquals(Map.of("alive", 2L, "unloaded", 7L, "leaked", 0L, "loadedClasses", 3151L), m);
        assertThrows(IOException.class, () -> ServeLoad.numbers(json, "nope"));
    }
}
