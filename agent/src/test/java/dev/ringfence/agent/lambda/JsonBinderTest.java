package dev.ringfence.agent.lambda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.ringfence.agent.runtimeapi.HttpApiEvent;
import dev.ringfence.agent.runtimeapi.JsonReader;
import dev.ringfence.agent.runtimeapi.ProxyResult;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The reflective binder on its own: aws-lambda-java-events' beans, the property-name quirks, its bounds. */
class JsonBinderTest {
    private final JsonBinder binder = new JsonBinder(getClass().getClassLoader());

    /** A colour, bound by name. */
    public enum Colour { RED, GREEN, BLUE }

    /** A bean of every kind of property the binder handles, compared by value. */
    public static class Sample {
        private String text;
        private int count;
        private long big;
        private double ratio;
        private boolean active;
        private Boolean flag;
        private Colour colour;
        private List<String> names;
        private Map<String, Integer> scores;
        private byte[] blob;
        /** A public field, nested. */
        public Sample child;

        public String getText() { return text; }
        public void setText(String text) { this.text = text; }
        public int getCount() { return count; }
        public void setCount(int count) { this.count = count; }
        public long getBig() { return big; }
        public void setBig(long big) { this.big = big; }
        public double getRatio() { return ratio; }
        public void setRatio(double ratio) { this.ratio = ratio; }
        public boolean isActive() { return active; }
        public void setActive(boolean active) { this.active = active; }
        public Boolean getFlag() { return flag; }
        public void setFlag(Boolean flag) { this.flag = flag; }
        public Colour getColour() { return colour; }
        public void setColour(Colour colour) { this.colour = colour; }
        public List<String> getNames() { return names; }
        public void setNames(List<String> names) { this.names = names; }
        public Map<String, Integer> getScores() { return scores; }
        public void setScores(Map<String, Integer> scores) { this.scores = scores; }
        public byte[] getBlob() { return blob; }
        public void setBlob(byte[] blob) { this.blob = blob; }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Sample)) {
                return false;
            }
            Sample s = (Sample) o;
            return Objects.equals(text, s.text) && count == s.count && big == s.big
                    && Double.compare(ratio, s.ratio) == 0 && active == s.active && Objects.equals(flag, s.flag)
                    && colour == s.colour && Objects.equals(names, s.names) && Objects.equals(scores, s.scores)
                    && Arrays.equals(blob, s.blob) && Objects.equals(child, s.child);
        }

        @Override
        public int hashCode() {
            return Objects.hash(text, count, big);
        }

        @Override
        public String toString() {
            try {
                return JsonReader.write(new JsonBinder(Sample.class.getClassLoader()).write(this));
            } catch (Exception e) {
                return e.toString();
            }
        }
    }

    /** A chain as deep as the JSON makes it. */
    public static class Node {
        /** The next node. */
        public Node next;
        /** Anything: bound as plain maps and lists, never as a class the JSON names. */
        public Object any;
    }

    /** A bean whose getter returns itself. */
    public static class Loop {
        /** @return this */
        public Loop getSelf() {
            return this;
        }
    }

    private static Object roundTrip(JsonBinder b, Object value, Class<?> type) throws Exception {
        return b.bind(JsonReader.parse(JsonReader.write(b.write(value))), type);
    }

    @Property(tries = 300)
    void shouldRoundTripBeansThroughWriteAndBind(@ForAll("samples") Sample s) throws Exception {
        assertEquals(s, roundTrip(binder, s, Sample.class));
    }

    @Provide
    Arbitrary<Sample> samples() {
        Arbitrary<Sample> leaf = sample(Arbitraries.just(null));
        return sample(Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(1, Arbitraries.just((Sample) null)),
                net.jqwik.api.Tuple.of(1, leaf)));
    }

    private static Arbitrary<Sample> sample(Arbitrary<Sample> children) {
        Arbitrary<String> text = Arbitraries.strings().ofMaxLength(12).injectNull(0.2);
        return Combinators.combine(
                Combinators.combine(text, Arbitraries.integers(), Arbitraries.longs(),
                        Arbitraries.doubles().between(-1e12, 1e12), Arbitraries.of(true, false),
                        Arbitraries.of(true, false).injectNull(0.3), Arbitraries.of(Colour.class).injectNull(0.3))
                        .as((t, c, b, r, a, f, col) -> {
                            Sample s = new Sample();
                            s.text = t;
                            s.count = c;
                            s.big = b;
                            s.ratio = r;
                            s.active = a;
                            s.flag = f;
                            s.colour = col;
                            return s;
                        }),
                Arbitraries.strings().alpha().ofMaxLength(5).list().ofMaxSize(4).injectNull(0.3),
                Arbitraries.maps(Arbitraries.strings().ofMaxLength(6), Arbitraries.integers().injectNull(0.2))
                        .ofMaxSize(4).injectNull(0.3),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(8).injectNull(0.3), children)
                .as((s, names, scores, blob, child) -> {
                    s.names = names == null ? null : new ArrayList<>(names);
                    s.scores = scores == null ? null : new LinkedHashMap<>(scores);
                    s.blob = blob;
                    s.child = child;
                    return s;
                });
    }

    private static Request request(String contentType, byte[] body) {
        return Request.builder("req-1").method("PATCH").path("/items/42").query("q", "one").query("page", "2")
                .header("x-test", "yes").header("content-type", contentType).body(body).build();
    }

    @Test
    void shouldBindTheHttpApiEventIntoTheEventsLibrarysBean() throws Exception {
        String json = HttpApiEvent.of(request("text/plain", "hello".getBytes(StandardCharsets.UTF_8)), "items", 1L);

        APIGatewayV2HTTPEvent e = (APIGatewayV2HTTPEvent) binder.bind(JsonReader.parse(json), APIGatewayV2HTTPEvent.class);

        assertEquals("2.0", e.getVersion());
        assertEquals("/items/42", e.getRawPath());
        assertTrue(e.getRawQueryString().contains("q=one"), e.getRawQueryString());
        assertEquals("one", e.getQueryStringParameters().get("q"));
        assertEquals("2", e.getQueryStringParameters().get("page"));
        assertEquals("yes", e.getHeaders().get("x-test"));
        assertEquals("PATCH", e.getRequestContext().getHttp().getMethod());
        assertEquals("/items/42", e.getRequestContext().getHttp().getPath());
        assertEquals("hello", e.getBody());
        assertFalse(e.getIsBase64Encoded());
    }

    @Test
    void shouldBindIsBase64EncodedForABinaryBody() throws Exception {
        String json = HttpApiEvent.of(request("application/octet-stream", new byte[] {1, 2, (byte) 0xfe}), "items", 1L);

        APIGatewayV2HTTPEvent e = (APIGatewayV2HTTPEvent) binder.bind(JsonReader.parse(json), APIGatewayV2HTTPEvent.class);

        assertTrue(e.getIsBase64Encoded());
        assertArrayEquals(new byte[] {1, 2, (byte) 0xfe}, java.util.Base64.getDecoder().decode(e.getBody()));
    }

    @Test
    void shouldMatchKeysIgnoringCaseAndTheIsPrefixOfBooleans() throws Exception {
        APIGatewayV2HTTPEvent e = (APIGatewayV2HTTPEvent) binder.bind(JsonReader.parse(
                "{\"RawPath\":\"/x\",\"base64Encoded\":true,\"unknown\":{\"deep\":[1,2]}}"), APIGatewayV2HTTPEvent.class);
        Sample s = (Sample) binder.bind(JsonReader.parse("{\"isActive\":true,\"COUNT\":\"7\",\"ratio\":2}"), Sample.class);

        assertEquals("/x", e.getRawPath());
        assertTrue(e.getIsBase64Encoded());
        assertTrue(s.isActive());
        assertEquals(7, s.getCount());
        assertEquals(2.0, s.getRatio());
    }

    @Test
    void shouldWriteTheResponseBeanAsAProxyResult() throws Exception {
        APIGatewayV2HTTPResponse out = APIGatewayV2HTTPResponse.builder().withStatusCode(418)
                .withHeaders(Map.of("content-type", "text/plain", "x-a", "b")).withBody("short and stout").build();

        Object json = binder.write(out);
        Response r = ProxyResult.toResponse(JsonReader.write(json).getBytes(StandardCharsets.UTF_8));

        assertEquals(Boolean.FALSE, ((Map<?, ?>) json).get("isBase64Encoded"));
        assertFalse(((Map<?, ?>) json).containsKey("multiValueHeaders"), "null properties are left out");
        assertEquals(418, r.status());
        assertEquals("short and stout", r.bodyAsString());
        assertEquals("text/plain", r.contentType());
        assertEquals("b", r.headers().get("x-a"));
    }

    @Test
    void shouldNeverCreateAClassTheJsonNames() throws Exception {
        Node n = (Node) binder.bind(JsonReader.parse("{\"any\":{\"@class\":\"java.lang.Thread\",\"type\":\"x\"}}"),
                Node.class);

        assertInstanceOf(LinkedHashMap.class, n.any);
        assertEquals("java.lang.Thread", ((Map<?, ?>) n.any).get("@class"));
    }

    @Test
    void shouldRefuseTypesOutsideTheHandlersLoaderAndTheValueTypes() {
        JsonBinder foreign = new JsonBinder(new ClassLoader(null) { });

        assertFalse(foreign.canBind(Sample.class), "a class of another loader is not a bean to this binder");
        assertFalse(binder.canBind(Thread.class));
        assertFalse(binder.canBind(java.io.File.class));
        assertTrue(binder.canBind(Sample.class));
        assertTrue(binder.canBind(Map.class));
        assertThrows(IllegalArgumentException.class, () -> foreign.write(new Sample()));
    }

    @Test
    void shouldBoundNestingWhenBindingAndWriting() throws Exception {
        StringBuilder deep = new StringBuilder();
        for (int i = 0; i < JsonBinder.MAX_DEPTH + 5; i++) {
            deep.append("{\"next\":");
        }
        deep.append("null").append("}".repeat(JsonBinder.MAX_DEPTH + 5));
        Object parsed = JsonReader.parse(deep.toString());

        IllegalArgumentException bind = assertThrows(IllegalArgumentException.class, () -> binder.bind(parsed, Node.class));
        IllegalArgumentException write = assertThrows(IllegalArgumentException.class, () -> binder.write(new Loop()));
        assertTrue(bind.getMessage().contains("deeper"), bind.getMessage());
        assertTrue(write.getMessage().contains("deeper"), write.getMessage());
    }

    @Test
    void shouldBoundTheValuesOfOnePass() {
        List<Object> many = new ArrayList<>();
        for (int i = 0; i <= JsonBinder.MAX_VALUES; i++) {
            many.add(i);
        }

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> binder.write(many));
        assertTrue(e.getMessage().contains("values"), e.getMessage());
    }

    @Test
    void shouldRefuseJsonThatDoesNotFitTheDeclaredType() {
        assertThrows(IllegalArgumentException.class,
                () -> binder.bind(JsonReader.parse("{\"count\":{\"a\":1}}"), Sample.class));
        assertThrows(IllegalArgumentException.class,
                () -> binder.bind(JsonReader.parse("{\"count\":99999999999}"), Sample.class));
        assertThrows(IllegalArgumentException.class,
                () -> binder.bind(JsonReader.parse("{\"colour\":\"PURPLE\"}"), Sample.class));
    }

    @Test
    void shouldBindNullToZeroForAPrimitiveAndNullOtherwise() throws Exception {
        Sample s = (Sample) binder.bind(JsonReader.parse("{\"count\":null,\"text\":null,\"colour\":\"green\"}"),
                Sample.class);

        assertEquals(0, s.getCount());
        assertNull(s.getText());
        assertEquals(Colour.GREEN, s.getColour());
    }
}
