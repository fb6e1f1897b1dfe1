package dev.ringfence.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void shouldEscapeWhatJsonRequires() {
        String s = new Json().put("a", "q\"b\\n\nt\tc\u0001").put("n", 3).put("z", null).put("t", true).toString();
        assertEquals("{\"a\":\"q\\\"b\\\\n\\nt\\tc\\u0001\",\"n\":3,\"z\":null,\"t\":true}", s);
    }

    @Test
    void shouldEscapeALoneSurrogateButKeepAPair() {
        assertEquals("{\"a\":\"\\ud800x\"}", new Json().put("a", "\ud800x").toString());
        assertEquals("{\"a\":\"\ud83d\ude00\"}", new Json().put("a", "\ud83d\ude00").toString());
    }
}
