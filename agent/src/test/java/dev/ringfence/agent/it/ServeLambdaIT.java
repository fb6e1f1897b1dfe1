package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.ringfence.agent.pipeline.TestJars;
import dev.ringfence.agent.runtimeapi.JsonReader;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import fixtures.lambda.FailingLambda;
import fixtures.lambda.GenericBaseLambda;
import fixtures.lambda.HttpEventLambda;
import fixtures.lambda.MapLambda;
import fixtures.lambda.OrderLambda;
import fixtures.lambda.StreamLambda;
import fixtures.lambda.ThrowingSetterLambda;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code serve DIR} with AWS Lambda Java handlers (classes compiled against aws-lambda-java-core,
 * which their route folder holds beside them, as a deployment package would), in a forked JVM over
 * real HTTP on loopback.
 */
class ServeLambdaIT {
    private static final long LONG = TimeUnit.SECONDS.toNanos(60);

    private static Path dir;
    private static ForkedServe serve;
    private static Path fixtures;

    private static void route(String name, String settings) throws Exception {
        Path core = Path.of(RequestHandler.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path events = Path.of(APIGatewayV2HTTPEvent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ForkedServe.route(dir, name, settings, fixtures, core, events);
    }

    @BeforeAll
    static void startServer() throws Exception {
        dir = Files.createTempDirectory("ringfence-serve-lambda-it");
        fixtures = TestJars.jar(Files.createTempDirectory("ringfence-lambda-fixtures").resolve("fixtures.jar"), "lambda-it",
                MapLambda.class, StreamLambda.class, FailingLambda.class, HttpEventLambda.class, GenericBaseLambda.class,
                OrderLambda.class, OrderLambda.Verb.class, OrderLambda.Http.class, OrderLambda.RequestContext.class,
                OrderLambda.Order.class, OrderLambda.Receipt.class, ThrowingSetterLambda.class,
                ThrowingSetterLambda.Input.class, ThrowingSetterLambda.Output.class);
        route("map", "handler=fixtures.lambda.MapLambda\nisolation=in-process\n");
        route("stream", "handler=fixtures.lambda.StreamLambda\nisolation=in-process\n");
        route("child", "handler=fixtures.lambda.MapLambda\nisolation=process\nheap=64m\n");
        route("fails", "handler=fixtures.lambda.FailingLambda\nisolation=in-process\nretry.max=0\ntimeout=2s\n"
                + "breaker.failures=1000\n");
        route("events", "handler=fixtures.lambda.HttpEventLambda\nisolation=in-process\nmemory=512m\n");
        route("events-child", "handler=fixtures.lambda.HttpEventLambda\nisolation=process\nheap=96m\n");
        route("resized", "handler=fixtures.lambda.HttpEventLambda\nisolation=in-process\n");
        route("orders", "handler=fixtures.lambda.OrderLambda\nisolation=in-process\n");
        route("throwing", "handler=fixtures.lambda.ThrowingSetterLambda\nisolation=in-process\nretry.max=0\n"
                + "breaker.failures=1000\n");
        serve = ForkedServe.start(dir);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (serve != null) {
            serve.close();
        }
        ForkedServe.deleteTrees(dir, fixtures.getParent());
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return serve.send(serve.request(path)
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    @Test
    void shouldRunARequestHandlerWithTheEventAsAMapAndItsContextFilled() throws Exception {
        HttpResponse<String> r = post("/fn/map/some/path?q=ada", "hello");

        assertEquals(202, r.statusCode(), r.body());
        assertEquals("OK", ForkedServe.outcome(r));
        assertEquals("path=/some/path body=hello query=ada", r.body());
        assertEquals("text/plain", r.headers().firstValue("Content-Type").orElse(null));
        assertEquals(r.headers().firstValue("X-Request-Id").orElse(null),
                r.headers().firstValue("x-aws-request-id").orElse(null));
        assertEquals("map@" + r.headers().firstValue("X-Ringfence-Version").orElse(null),
                r.headers().firstValue("x-function").orElse(null));
        assertEquals("128", r.headers().firstValue("x-memory").orElse(null));
        assertEquals("true", r.headers().firstValue("x-remaining-positive").orElse(null));
        assertTrue(r.headers().firstValue("x-arn").orElse("").endsWith(":function:map"), r.headers().toString());
        long until = System.nanoTime() + LONG;
        while (!(serve.err() + serve.out()).contains("handling /some/path") && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        assertTrue((serve.err() + serve.out()).contains("handling /some/path"), "the LambdaLogger's line reaches the log");
    }

    @Test
    void shouldRunALambdaHandlerInTheProcessTierToo() throws Exception {
        HttpResponse<String> r = post("/fn/child/in/a/child?q=bob", "hi");

        assertEquals(202, r.statusCode(), r.body());
        assertEquals("path=/in/a/child body=hi query=bob", r.body());
    }

    @Test
    void shouldRunAStreamHandlerOnTheEventsJson() throws Exception {
        HttpResponse<String> r = post("/fn/stream/x", "streamed");

        assertEquals(200, r.statusCode(), r.body());
        Map<?, ?> event = (Map<?, ?>) JsonReader.parse(r.body());
        assertEquals("2.0", event.get("version"));
        assertEquals("/x", event.get("rawPath"));
        assertEquals("streamed", event.get("body"));
    }

    @Test
    void shouldEndAThrowingHandlerErrorAndARunawayOneAtItsDeadline() throws Exception {
        HttpResponse<String> thrown = post("/fn/fails", "x");
        assertEquals(500, thrown.statusCode(), thrown.body());
        assertEquals("ERROR", ForkedServe.outcome(thrown));
        assertTrue(thrown.body().contains("the lambda failed on purpose"), thrown.body());

        HttpResponse<String> spun = post("/fn/fails", "spin");
        assertEquals(504, spun.statusCode(), spun.body());
        assertEquals("TIMEOUT", ForkedServe.outcome(spun));
        HttpResponse<String> after = post("/fn/fails", "x");
        assertEquals(500, after.statusCode(), "the route serves on: " + after.body());
        assertEquals("ERROR", ForkedServe.outcome(after));
    }

    @Test
    void shouldBindTheEventsLibrarysHttpEventAndAnswerItsResponseBeanUnderTheGates() throws Exception {
        HttpResponse<String> r = serve.send(serve.request("/fn/events/items/7?q=ada&x=1")
                .header("X-Test", "from-the-client").header("Content-Type", "text/plain")
                .method("PUT", HttpRequest.BodyPublishers.ofString("the body")));

        assertEquals(201, r.statusCode(), r.body());
        assertEquals("OK", ForkedServe.outcome(r));
        assertEquals("method=PUT path=/items/7 q=ada header=from-the-client body=the body", r.body());
        assertEquals("text/plain", r.headers().firstValue("Content-Type").orElse(null));
        assertTrue(r.headers().firstValue("x-raw-query").orElse("").contains("q=ada"), r.headers().toString());
        assertEquals("512", r.headers().firstValue("x-memory").orElse(null), "the route's memory setting");
    }

    @Test
    void shouldBindPojosInAChildAndTellTheHeapCapAsItsMemory() throws Exception {
        HttpResponse<String> r = serve.send(serve.request("/fn/events-child/c?q=bob")
                .header("x-test", "h").header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0, 1, 2, 3})));

        assertEquals(201, r.statusCode(), r.body());
        assertEquals("method=POST path=/c q=bob header=h body=base64:4", r.body());
        assertEquals("96", r.headers().firstValue("x-memory").orElse(null), "the child's heap cap");
    }

    @Test
    void shouldBindAHandlersOwnPojosFoundThroughAGenericBaseClass() throws Exception {
        HttpResponse<String> r = serve.send(serve.request("/fn/orders/o/1?a=40&b=2")
                .header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{}")));

        assertEquals(200, r.statusCode(), r.body());
        assertEquals("OK", ForkedServe.outcome(r));
        assertEquals(Map.of("summary", "PATCH /o/1 total=42", "keys", java.util.List.of("a", "b"), "binary", false),
                JsonReader.parse(r.body()));
    }

    @Test
    void shouldEndAnInvocationErrorWhenABeansSetterOrGetterThrows() throws Exception {
        HttpResponse<String> set = post("/fn/throwing/boom", "x");
        assertEquals(500, set.statusCode(), set.body());
        assertEquals("ERROR", ForkedServe.outcome(set));
        assertTrue(set.body().contains("setter refused /boom"), set.body());

        HttpResponse<String> get = post("/fn/throwing/fine", "x");
        assertEquals(500, get.statusCode(), get.body());
        assertEquals("ERROR", ForkedServe.outcome(get));
        assertTrue(get.body().contains("getter refused"), get.body());
    }

    @Test
    void shouldTellANewMemorySettingOnceTheRouteReloads() throws Exception {
        HttpResponse<String> before = post("/fn/resized/r", "x");
        assertEquals("128", before.headers().firstValue("x-memory").orElse(null), "no memory set, in-process: Lambda's default");

        Path settings = dir.resolve("resized").resolve("route.properties");
        Path staged = dir.resolve("resized").resolve(".route.properties.tmp");
        Files.writeString(staged, "handler=fixtures.lambda.HttpEventLambda\nisolation=in-process\nmemory=1g\n");
        Files.move(staged, settings, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String memory = null;
        long until = System.nanoTime() + LONG;
        while (!"1024".equals(memory) && System.nanoTime() < until) {
            Thread.sleep(100);
            memory = post("/fn/resized/r", "x").headers().firstValue("x-memory").orElse(null);
        }
        assertEquals("1024", memory, "the handler is re-created with the new memory:\n" + serve.out());
    }
}
