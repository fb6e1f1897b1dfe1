package dev.ringfence.agent.runtimeapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.log.JsonText;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

class JsonReaderPropertiesTest {
    @Property
    void anyStringWrittenByTheLogsWriterReadsBackEqual(@ForAll String s) throws Exception {
        StringBuilder sb = new StringBuilder();
        JsonText.quote(sb, s);

        assertEquals(s, JsonReader.parse(sb.toString()));
    }

    @Property
    void anyStringSurvivesAsKeyAndValueOfAnObject(@ForAll String key, @ForAll String value) throws Exception {
        String text = new JsonText().put(key, value).put(key + "!", List.of(value)).toString();

        Map<?, ?> m = (Map<?, ?>) JsonReader.parse(text);

        assertEquals(value, m.get(key));
        assertEquals(List.of(value), m.get(key + "!"));
    }

    @Property
    void anyNumberReadsBackEqual(@ForAll long l, @ForAll double d) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("l", l);
        m.put("d", Double.isFinite(d) ? d : 0.0);

        Map<?, ?> read = (Map<?, ?>) JsonReader.parse(JsonReader.write(m));

        assertEquals(BigDecimal.valueOf(l), read.get("l"));
        double expected = Double.isFinite(d) ? d : 0.0;
        double actual = ((BigDecimal) read.get("d")).doubleValue();
        assertTrue(expected == actual, expected + " read back as " + actual); // -0.0 reads back as 0: BigDecimal has no sign of zero
    }

    @Property
    void writeThenParseIsTheIdentityOnParsedValues(@ForAll String a, @ForAll long n, @ForAll boolean b) throws Exception {
        Object v = JsonReader.parse(new JsonText().put("a", a).put("n", n).put("b", b).put("z", null)
                .put("list", List.of(a, n, b)).toString());

        assertEquals(v, JsonReader.parse(JsonReader.write(v)));
    }
}
