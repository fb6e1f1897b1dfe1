/**
 * AWS Lambda Java handlers as ordinary in-process routes: a class implementing
 * {@code com.amazonaws.services.lambda.runtime.RequestHandler} or {@code RequestStreamHandler}
 * (aws-lambda-java-core, which the handler's own classpath brings, as in a Lambda deployment
 * package) is wrapped in a {@link dev.ringfence.api.Handler} ({@link dev.ringfence.agent.lambda.LambdaAdapter})
 * that passes the request as the same API Gateway HTTP API event a {@code runtime=provided} route
 * sends, fills the Lambda {@code Context} from the invocation, and maps the result back the same way.
 * A handler's POJO input and output (aws-lambda-java-events' {@code APIGatewayV2HTTPEvent} and
 * {@code APIGatewayV2HTTPResponse}, or its own beans) go through a small reflective binder
 * ({@code JsonBinder}), not a JSON library; {@link dev.ringfence.agent.lambda.LambdaMemory} decides
 * what {@code getMemoryLimitInMB} answers.
 */
package dev.ringfence.agent.lambda;
