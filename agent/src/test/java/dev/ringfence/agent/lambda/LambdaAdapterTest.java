package dev.ringfence.agent.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import fixtures.lambda.FailingLambda;
import fixtures.lambda.MapLambda;
import fixtures.lambda.HttpEventLambda;
import fixtures.lambda.OrderLambda;
import fixtures.lambda.PojoLambda;
import fixtures.lambda.ThrowingSetterLambda;
import fixtures.lambda.UnbindableLambda;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The adapter on its own, outside the sandbox: binding, the Lambda Context, and the result's mapping. */
class LambdaAdapterTest {
    private static final LambdaAdapter.Function FUNCTION = new LambdaAdapter.Function("orders", "abc123", 256);

    private final List<String> logged = new ArrayList<>();

    private Context context() {
        return new Context() {
            @Override
            public String requestId() {
                return "req-7";
            }

            @Override
            public long remainingNanos() {
                return 2_500_000_000L;
            }

            @Override
            public Budgets budgets() {
                return new Budgets(3_000_000_000L, 0, 0, 0);
            }

            @Override
            public Logger logger() {
                return new Logger() {
                    @Override
                    public void info(String message) {
                        logged.add("info " + message);
                    }

                    @Override
                    public void warn(String message) {
                        logged.add("warn " + message);
                    }
                };
            }
        };
    }

    @Test
    void shouldRecogniseLambdaHandlersByTheirInterfaces() {
        assertTrue(LambdaAdapter.isLambdaHandler(MapLambda.class));
        assertTrue(LambdaAdapter.isLambdaHandler(FailingLambda.class));
        assertFalse(LambdaAdapter.isLambdaHandler(String.class));
    }

    @Test
    void shouldFillTheLambdaContextFromTheInvocation() throws Exception {
        Handler h = LambdaAdapter.create(MapLambda.class, FUNCTION);

        Response r = h.handle(Request.builder("req-7").method("POST").path("/p").query("q", "x")
                .header("content-type", "text/plain").body("b").build(), context());

        assertEquals(202, r.status());
        assertEquals("path=/p body=b query=x", r.bodyAsString());
        assertEquals("req-7", r.headers().get("x-aws-request-id"));
        assertEquals("orders@abc123", r.headers().get("x-function"));
        assertEquals("256", r.headers().get("x-memory"));
        assertEquals("true", r.headers().get("x-remaining-positive"));
        assertEquals(List.of("info handling /p"), logged);
    }

    @Test
    void shouldRethrowWhatTheHandlerThrowsUnwrapped() throws Exception {
        Handler h = LambdaAdapter.create(FailingLambda.class, FUNCTION);

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> h.handle(Request.builder("r").body("x").build(), context()));
        assertEquals("the lambda failed on purpose", e.getMessage());
    }

    @Test
    void shouldRefuseAnInputTypeItCannotBind() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LambdaAdapter.create(UnbindableLambda.class, FUNCTION));
        assertTrue(e.getMessage().contains("UnbindableLambda$Input"), e.getMessage());
    }

    @Test
    void shouldBindAPublicFieldPojo() throws Exception {
        Handler h = LambdaAdapter.create(PojoLambda.class, FUNCTION);

        Response r = h.handle(Request.builder("r").path("/orders").build(), context());

        assertEquals(200, r.status());
        assertEquals("null", r.bodyAsString(), "the event has no id: the field stays null, the result is JSON null");
    }

    @Test
    void shouldBindTheEventsLibrarysHttpEventAndMapItsResponseBean() throws Exception {
        Handler h = LambdaAdapter.create(HttpEventLambda.class, FUNCTION);

        Response r = h.handle(Request.builder("r").method("PUT").path("/a/b").query("q", "x y").header("x-test", "t1")
                .header("content-type", "text/plain").body("hello").build(), context());

        assertEquals(201, r.status(), r.bodyAsString());
        assertEquals("method=PUT path=/a/b q=x y header=t1 body=hello", r.bodyAsString());
        assertEquals("text/plain", r.contentType());
        assertEquals("256", r.headers().get("x-memory"));
    }

    @Test
    void shouldSeeABinaryBodyAsBase64ThroughIsBase64Encoded() throws Exception {
        Handler h = LambdaAdapter.create(HttpEventLambda.class, FUNCTION);

        Response r = h.handle(Request.builder("r").method("POST").path("/bin")
                .header("content-type", "application/octet-stream").body(new byte[] {0, (byte) 0xff, 7}).build(),
                context());

        assertEquals("method=POST path=/bin q=null header=null body=base64:3", r.bodyAsString());
    }

    @Test
    void shouldFindTheInputTypeThroughAGenericBaseClass() throws Exception {
        Handler h = LambdaAdapter.create(OrderLambda.class, FUNCTION);

        Response r = h.handle(Request.builder("r").method("DELETE").path("/o/9").query("a", "40").query("b", "2")
                .header("content-type", "application/octet-stream").body(new byte[] {(byte) 0xff}).build(), context());

        assertEquals(200, r.status(), r.bodyAsString());
        assertEquals(Map.of("summary", "DELETE /o/9 total=42", "keys", List.of("a", "b"), "binary", true),
                dev.ringfence.agent.runtimeapi.JsonReader.parse(r.bodyAsString()));
    }

    @Test
    void shouldRethrowWhatABeansSetterOrGetterThrows() throws Exception {
        Handler h = LambdaAdapter.create(ThrowingSetterLambda.class, FUNCTION);

        IllegalStateException set = assertThrows(IllegalStateException.class,
                () -> h.handle(Request.builder("r").path("/boom").build(), context()));
        assertEquals("setter refused /boom", set.getMessage());
        UnsupportedOperationException get = assertThrows(UnsupportedOperationException.class,
                () -> h.handle(Request.builder("r").path("/fine").build(), context()));
        assertEquals("getter refused", get.getMessage());
    }

    @Test
    void shouldBindNumbersAsJacksonWould() {
        Object v = LambdaAdapter.fromJson(Map.of("i", new BigDecimal("7"), "l", new BigDecimal("12345678901"),
                "b", new BigDecimal("123456789012345678901234567890"), "d", new BigDecimal("1.5")));

        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(7, m.get("i"));
        assertEquals(12345678901L, m.get("l"));
        assertEquals(new BigInteger("123456789012345678901234567890"), m.get("b"));
        assertEquals(1.5, m.get("d"));
    }

    @Test
    void shouldWriteCollectionsArraysAndScalarsButNoForeignObjects() throws Exception {
        JsonBinder binder = new JsonBinder(getClass().getClassLoader());

        assertEquals(List.of("a", 1, true), binder.write(new Object[] {"a", 1, true}));
        assertEquals(Map.of("k", List.of("v")), binder.write(Map.of("k", List.of("v"))));
        assertThrows(IllegalArgumentException.class, () -> binder.write(new Object()));
        assertThrows(IllegalArgumentException.class, () -> binder.write(Thread.currentThread()));
    }
}
