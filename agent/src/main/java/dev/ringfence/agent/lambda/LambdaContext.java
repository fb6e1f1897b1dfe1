package dev.ringfence.agent.lambda;

import dev.ringfence.api.Context;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;

/**
 * The Lambda {@code Context} and {@code LambdaLogger} a Lambda handler sees, as proxies of the
 * interfaces its own class loader holds (ringfence does not link against aws-lambda-java-core),
 * answered from one invocation's ringfence {@link Context}.
 *
 * <p>{@code getAwsRequestId} is the request id; {@code getRemainingTimeInMillis} what is left of
 * the deadline; {@code getFunctionName} the route; {@code getFunctionVersion} the version's short id;
 * {@code getMemoryLimitInMB} as {@link LambdaMemory} decides; {@code getIdentity} and
 * {@code getClientContext} null; the logger writes through the invocation's logger ({@code WARN}
 * and above as warnings). Default methods run as declared. One instance per invocation; not shared.
 */
final class LambdaContext implements InvocationHandler {
    private final Context context;
    private final LambdaAdapter.Function function;
    private final Object logger;

    private LambdaContext(Context context, LambdaAdapter.Function function, Class<?> loggerType) {
        this.context = context;
        this.function = function;
        this.logger = Proxy.newProxyInstance(loggerType.getClassLoader(), new Class<?>[] {loggerType}, this::log);
    }

    /**
     * @param contextType the handler's {@code com.amazonaws.services.lambda.runtime.Context}
     * @param loggerType the handler's {@code LambdaLogger}
     * @param context the invocation's context
     * @param function the function's name, version and memory
     * @return a proxy implementing {@code contextType}
     */
    static Object of(Class<?> contextType, Class<?> loggerType, Context context, LambdaAdapter.Function function) {
        return Proxy.newProxyInstance(contextType.getClassLoader(), new Class<?>[] {contextType},
                new LambdaContext(context, function, loggerType));
    }

    @Override
    public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
        switch (m.getName()) {
            case "getAwsRequestId":
                return context.requestId();
            case "getLogGroupName":
                return "/ringfence/" + function.name();
            case "getLogStreamName":
                return function.version();
            case "getFunctionName":
                return function.name();
            case "getFunctionVersion":
                return function.version();
            case "getInvokedFunctionArn":
                return "arn:aws:lambda:local:000000000000:function:" + function.name();
            case "getRemainingTimeInMillis":
                return (int) Math.min(Integer.MAX_VALUE, Math.max(0, context.remainingMillis()));
            case "getMemoryLimitInMB":
                return function.memoryMegabytes();
            default:
                return other(proxy, m, args);
        }
    }

    private Object other(Object proxy, Method m, Object[] args) throws Throwable {
        if (m.getName().equals("getLogger") && m.getParameterCount() == 0) {
            return logger;
        }
        if (m.isDefault()) {
            return InvocationHandler.invokeDefault(proxy, m, args);
        }
        return objectMethod(proxy, m, args, "Lambda context of " + context.requestId());
    }

    private Object log(Object proxy, Method m, Object[] args) throws Throwable {
        if (m.getName().equals("log") && args != null && args.length >= 1) {
            String line = args[0] instanceof byte[] ? new String((byte[]) args[0], StandardCharsets.UTF_8)
                    : String.valueOf(args[0]);
            boolean warn = args.length == 2 && args[1] != null && isWarning(args[1].toString());
            if (warn) {
                context.logger().warn(line);
            } else {
                context.logger().info(line);
            }
            return null;
        }
        if (m.isDefault()) {
            return InvocationHandler.invokeDefault(proxy, m, args);
        }
        return objectMethod(proxy, m, args, "Lambda logger of " + context.requestId());
    }

    private static boolean isWarning(String level) {
        return level.equals("WARN") || level.equals("ERROR") || level.equals("FATAL");
    }

    /** {@code equals}, {@code hashCode} and {@code toString} of a proxy; null for a method it does not know. */
    private static Object objectMethod(Object proxy, Method m, Object[] args, String name) {
        switch (m.getName()) {
            case "equals":
                return args != null && args.length == 1 && proxy == args[0];
            case "hashCode":
                return System.identityHashCode(proxy);
            case "toString":
                return name;
            default:
                return null; // getIdentity, getClientContext and methods of later versions: none here
        }
    }
}
