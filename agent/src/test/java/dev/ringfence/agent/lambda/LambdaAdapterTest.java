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
import fixtures.lambda.PojoLambda;
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
                () -> LambdaAdapter.create(PojoLambda.class, FUNCTION));
        assertTrue(e.getMessage().contains("PojoLambda$Order"), e.getMessage());
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
    void shouldWriteCollectionsArraysAndScalarsButNoPojos() {
        assertEquals(List.of("a", 1, true), LambdaAdapter.toJson(new Object[] {"a", 1, true}));
        assertEquals(Map.of("k", List.of("v")), LambdaAdapter.toJson(Map.of("k", List.of("v"))));
        assertThrows(IllegalArgumentException.class, () -> LambdaAdapter.toJson(new Object()));
    }
}
