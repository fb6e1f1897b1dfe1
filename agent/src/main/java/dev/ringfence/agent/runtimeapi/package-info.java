/**
 * Bring your own runtime: routes with {@code runtime=provided}, whose handler is an executable
 * {@code bootstrap} in any language, speaking the AWS Lambda runtime API (version
 * {@code 2018-06-01}) that this package serves on loopback to each bootstrap process.
 *
 * <p>{@link dev.ringfence.agent.runtimeapi.ProvidedRuntime} is one version of such a route: a pool
 * of {@link dev.ringfence.agent.runtimeapi.Environment}s (one bootstrap process and its own runtime
 * API server each), fed from one queue of invocations. A request reaching the route becomes an API
 * Gateway HTTP API (payload 2.0) event ({@link dev.ringfence.agent.runtimeapi.HttpApiEvent}); what the
 * function answers maps back to the HTTP response ({@link dev.ringfence.agent.runtimeapi.ProxyResult}).
 * {@link dev.ringfence.agent.runtimeapi.JsonReader} is the small strict JSON parser the results need.
 */
package dev.ringfence.agent.runtimeapi;
