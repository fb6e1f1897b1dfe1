package dev.ringfence.agent.lambda;

import dev.ringfence.agent.log.JsonText;
import dev.ringfence.agent.pipeline.RouteSettings;
import dev.ringfence.agent.runtimeapi.HttpApiEvent;
import dev.ringfence.agent.runtimeapi.JsonReader;
import dev.ringfence.agent.runtimeapi.ProxyResult;
import dev.ringfence.api.Budgets;
import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.RunResult;
import dev.ringfence.loader.HandlerVersion;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An AWS Lambda Java handler ({@code RequestHandler} or {@code RequestStreamHandler} of
 * aws-lambda-java-core) run as a ringfence {@link Handler}: the request becomes the API Gateway HTTP
 * API (payload 2.0) event of {@link HttpApiEvent}, the handler runs with a Lambda {@code Context}
 * ({@link LambdaContext}), and what it returns maps back through {@link ProxyResult}.
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>aws-lambda-java-core comes with the handler, on its own classpath (as in a Lambda deployment
 *       package); ringfence does not ship or relocate it, so the handler runs against exactly the API
 *       it was compiled against. The interfaces are found by name through the handler's class loader.</li>
 *   <li>Input binding, without a JSON library: a {@code RequestStreamHandler} reads the event's JSON
 *       bytes; a {@code RequestHandler}'s input type is its {@code I} in {@code RequestHandler<I, O>}
 *       (found through its superclasses and interfaces, else the declared parameter's type). {@code
 *       String} is the event's JSON text and {@code byte[]} its bytes, as before; {@code Object} and
 *       {@code Map} a mutable {@code LinkedHashMap} of {@code String}, {@code Integer}/{@code Long}/{@code
 *       BigInteger}/{@code Double}, {@code Boolean}, {@code ArrayList}, null — what Jackson would give;
 *       a bean (aws-lambda-java-events' {@code APIGatewayV2HTTPEvent}, or the handler's own POJO) is
 *       bound by {@link JsonBinder}. A type none of these is refused when the handler is created.</li>
 *   <li>Output: a stream handler's bytes, as a function's payload; a {@code String} is written as a
 *       JSON string; beans, maps, lists, arrays, numbers, booleans and null as JSON ({@link
 *       JsonBinder#write}), so an {@code APIGatewayV2HTTPResponse} is a proxy result; anything else ends
 *       the invocation {@code ERROR}.</li>
 *   <li>Binding and writing run on the sandbox thread around the handler: a handler's setter, getter
 *       or constructor that throws ends the invocation as if {@code handleRequest} had thrown.</li>
 *   <li>Whatever the handler throws is rethrown as is (a budget's abort included), never wrapped:
 *       the sandbox records the outcome as for any handler.</li>
 *   <li>The handler runs on the sandbox thread, instrumented as any handler code; this class only
 *       converts and dispatches. It is thread-safe as far as the Lambda handler is.</li>
 * </ul>
 */
public final class LambdaAdapter implements Handler {
    private static final String PACKAGE = "com.amazonaws.services.lambda.runtime.";

    /**
     * What a function is told about itself.
     *
     * @param name the route's name
     * @param version the version's short id
     * @param memoryMegabytes what {@code getMemoryLimitInMB} answers
     */
    public record Function(String name, String version, int memoryMegabytes) {
    }

    private final Object target;
    private final Method method;
    private final boolean stream;
    private final Type input;
    private final JsonBinder binder;
    private final Class<?> contextType;
    private final Class<?> loggerType;
    private final Function function;

    private LambdaAdapter(Object target, Method method, boolean stream, Type input, JsonBinder binder,
            Class<?> contextType, Class<?> loggerType, Function function) {
        this.target = target;
        this.method = method;
        this.stream = stream;
        this.input = input;
        this.binder = binder;
        this.contextType = contextType;
        this.loggerType = loggerType;
        this.function = function;
    }

    /**
     * @param c a class of a handler version
     * @return whether it implements {@code RequestHandler} or {@code RequestStreamHandler}, as seen by its own loader
     */
    public static boolean isLambdaHandler(Class<?> c) {
        return implementsNamed(c, PACKAGE + "RequestHandler") || implementsNamed(c, PACKAGE + "RequestStreamHandler");
    }

    private static boolean implementsNamed(Class<?> c, String name) {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Class<?> i : k.getInterfaces()) {
                if (i.getName().equals(name) || implementsNamed(i, name)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Creates the Lambda handler (its public no-argument constructor runs on the calling thread:
     * call it in the sandbox) and wraps it.
     *
     * @param c the handler class
     * @param function what the function is told about itself
     * @return the ringfence handler
     * @throws IllegalArgumentException when the class is abstract, has no public no-argument
     *     constructor, or takes an input type this adapter cannot bind
     * @throws ReflectiveOperationException when aws-lambda-java-core is not on the handler's classpath
     * @throws Exception what the handler's constructor threw, unwrapped
     */
    public static Handler create(Class<?> c, Function function) throws Exception {
        if (c.isInterface() || Modifier.isAbstract(c.getModifiers()) || !Modifier.isPublic(c.getModifiers())) {
            throw new IllegalArgumentException(c.getName() + " is not a public concrete class");
        }
        ClassLoader loader = c.getClassLoader();
        Class<?> contextType = Class.forName(PACKAGE + "Context", false, loader);
        Class<?> loggerType = Class.forName(PACKAGE + "LambdaLogger", false, loader);
        boolean stream = implementsNamed(c, PACKAGE + "RequestStreamHandler");
        Method m = stream ? c.getMethod("handleRequest", java.io.InputStream.class, java.io.OutputStream.class, contextType)
                : handleRequest(c, contextType);
        JsonBinder binder = new JsonBinder(loader);
        Type in = stream ? null : inputType(c, m);
        if (in != null && !binder.canBind(in)) {
            throw new IllegalArgumentException(c.getName() + " takes " + in.getTypeName() + ": a Lambda handler run by"
                    + " ringfence takes a bean with a public no-argument constructor, a Map, a List, Object, String"
                    + " or byte[] (or is a RequestStreamHandler)");
        }
        Constructor<?> ctor = c.getConstructor();
        Object target;
        try {
            target = ctor.newInstance();
        } catch (InvocationTargetException e) {
            throw unwrap(e);
        }
        m.setAccessible(true);
        return new LambdaAdapter(target, m, stream, in, binder, contextType, loggerType, function);
    }

    /** The {@code I} of {@code RequestHandler<I, O>} when it is known and fits the method, else the method's parameter. */
    private static Type inputType(Class<?> c, Method m) {
        Type declared = m.getGenericParameterTypes()[0];
        Type resolved = HandlerTypes.argument(c, PACKAGE + "RequestHandler", 0);
        return resolved != null && m.getParameterTypes()[0].isAssignableFrom(JsonBinder.raw(resolved)) ? resolved : declared;
    }

    /**
     * Creates a version's Lambda handler inside the sandbox, under the route's budgets and policy.
     *
     * @param executor the sandbox workers
     * @param budgets the budgets of the construction
     * @param version the handler's version
     * @param c the handler class, one of the version's
     * @param route the route's name
     * @return how the construction ended, with the wrapped handler when {@code OK}
     */
    public static RunResult<Handler> createIn(MeteredExecutor executor, Budgets budgets, HandlerVersion version,
            Class<?> c, String route) {
        return createIn(executor, budgets, version, c, route, RouteSettings.FunctionRuntime.JAVA);
    }

    /**
     * Like {@link #createIn(MeteredExecutor, Budgets, HandlerVersion, Class, String)}, the function's
     * memory size taken from the route's settings ({@link LambdaMemory#megabytes}).
     *
     * @param executor the sandbox workers
     * @param budgets the budgets of the construction
     * @param version the handler's version
     * @param c the handler class, one of the version's
     * @param route the route's name
     * @param runtime the route's {@code runtime} and {@code memory} settings
     * @return how the construction ended, with the wrapped handler when {@code OK}
     */
    public static RunResult<Handler> createIn(MeteredExecutor executor, Budgets budgets, HandlerVersion version,
            Class<?> c, String route, RouteSettings.FunctionRuntime runtime) {
        Function f = new Function(route, version.shortId(), LambdaMemory.megabytes(runtime));
        return executor.run(budgets, version.policy(), version.classLoader(), () -> create(c, f));
    }

    /** The most specific {@code handleRequest(I, Context)}: the declared one, not the compiler's bridge. */
    private static Method handleRequest(Class<?> c, Class<?> contextType) throws NoSuchMethodException {
        Method found = null;
        for (Method m : c.getMethods()) {
            if (m.getName().equals("handleRequest") && m.getParameterCount() == 2
                    && m.getParameterTypes()[1] == contextType && (found == null || found.isBridge())) {
                found = m;
            }
        }
        if (found == null) {
            throw new NoSuchMethodException(c.getName() + ".handleRequest(I, Context)");
        }
        return found;
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        String event = HttpApiEvent.of(request, function.name(), System.currentTimeMillis());
        Object lambdaContext = LambdaContext.of(contextType, loggerType, context, function);
        byte[] payload;
        try {
            if (stream) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                method.invoke(target, new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, lambdaContext);
                payload = out.toByteArray();
            } else {
                Object result = method.invoke(target, bind(event), lambdaContext);
                payload = (result instanceof String ? quoted((String) result) : JsonReader.write(binder.write(result)))
                        .getBytes(StandardCharsets.UTF_8);
            }
        } catch (InvocationTargetException e) {
            throw unwrap(e);
        }
        return ProxyResult.toResponse(payload);
    }

    private Object bind(String event) throws Exception {
        if (input == String.class) {
            return event;
        }
        if (input == byte[].class) {
            return event.getBytes(StandardCharsets.UTF_8);
        }
        return binder.bind(JsonReader.parse(event), input);
    }

    /** Parsed JSON as Jackson would bind it to {@code Object}: mutable maps and lists, the smallest fitting number. */
    static Object fromJson(Object v) {
        if (v instanceof Map) {
            Map<String, Object> m = new LinkedHashMap<>();
            ((Map<?, ?>) v).forEach((k, x) -> m.put((String) k, fromJson(x)));
            return m;
        }
        if (v instanceof List) {
            List<Object> l = new ArrayList<>();
            ((List<?>) v).forEach(x -> l.add(fromJson(x)));
            return l;
        }
        if (v instanceof BigDecimal) {
            BigDecimal d = (BigDecimal) v;
            if (d.scale() <= 0 && d.toPlainString().indexOf('.') < 0 && d.precision() - d.scale() < 40) {
                BigInteger i = d.toBigIntegerExact();
                return i.bitLength() < 32 ? (Object) i.intValue() : i.bitLength() < 64 ? (Object) i.longValue() : i;
            }
            return d.doubleValue();
        }
        return v;
    }

    private static String quoted(String s) {
        StringBuilder sb = new StringBuilder();
        JsonText.quote(sb, s);
        return sb.toString();
    }

    /** The handler's own throwable, unwrapped: an error is thrown at once, an exception returned to be thrown. */
    static Exception unwrap(InvocationTargetException e) {
        Throwable t = e.getCause();
        if (t instanceof Error) {
            throw (Error) t;
        }
        return t instanceof Exception ? (Exception) t : e;
    }
}
