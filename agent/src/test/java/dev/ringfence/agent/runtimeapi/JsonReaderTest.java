package dev.ringfence.agent.runtimeapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonReaderTest {
    @Test
    void shouldParseEveryKindOfValue() throws Exception {
        Object v = JsonReader.parse(" {\"s\":\"a\\\"b\\\\c\\/\\n\\u00e9\",\"n\":-12.5e2,\"i\":0,\"t\":true,\"f\":false,"
                + "\"z\":null,\"a\":[1,[],{}]} ");

        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals("a\"b\\c/\n\u00e9", m.get("s"));
        assertEquals(new BigDecimal("-12.5e2"), m.get("n"));
        assertEquals(BigDecimal.ZERO, m.get("i"));
        assertEquals(Boolean.TRUE, m.get("t"));
        assertEquals(Boolean.FALSE, m.get("f"));
        assertTrue(m.containsKey("z"));
        assertNull(m.get("z"));
        assertEquals(List.of(new BigDecimal(1), List.of(), Map.of()), m.get("a"));
        assertEquals(List.of("s", "n", "i", "t", "f", "z", "a"), List.copyOf(m.keySet()), "keys keep their order");
    }

    @Test
    void shouldKeepALoneSurrogateEscape() throws Exception {
        assertEquals("\ud800x", JsonReader.parse("\"\\ud800x\""));
    }

    @Test
    void shouldRefuseWhatIsNotStrictJson() {
        for (String bad : Arrays.asList("", " ", "{", "}", "[1,]", "{\"a\":1,}", "{'a':1}", "01", "1.", ".5", "-", "1e",
                "+1", "tru", "nul", "\"a", "\"\\x\"", "\"\\u12g4\"", "\"tab\there\"", "[1 2]", "{\"a\" 1}", "{1:2}",
                "1 2", "{\"a\":1,\"a\":2}", "// no\n1", "NaN", "Infinity", "[1]x", "1e99999999999")) {
            assertThrows(JsonReader.JsonException.class, () -> JsonReader.parse(bad), bad);
        }
    }

    @Test
    void shouldRefuseNestingPastTheBoundWithoutOverflowingTheStack() throws Exception {
        String ok = "[".repeat(JsonReader.MAX_DEPTH) + "]".repeat(JsonReader.MAX_DEPTH);
        assertTrue(JsonReader.parse(ok) instanceof List);
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThrows(JsonReader.JsonException.class, () -> JsonReader.parse(deep));
    }

    @Test
    void shouldWriteWhatItParses() throws Exception {
        String text = "{\"a\":[1,2.50,-3E+7,true,null,\"x\\ny\"],\"b\":{}}";

        Object v = JsonReader.parse(text);

        assertEquals(v, JsonReader.parse(JsonReader.write(v)));
    }

    @Test
    void shouldRefuseToWriteWhatJsonCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> JsonReader.write(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> JsonReader.write(new Object()));
    }
}
