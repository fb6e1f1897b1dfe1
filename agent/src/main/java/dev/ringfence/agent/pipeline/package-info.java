/**
 * The invocation pipeline: running one request through a route's current handler version on
 * the in-process tier and recording the outcome whatever the handler did, and the parts a route
 * is served through — its settings ({@link dev.ringfence.agent.pipeline.RouteSettings}), admission
 * ({@link dev.ringfence.agent.pipeline.Admission}), circuit breaker
 * ({@link dev.ringfence.agent.pipeline.CircuitBreaker}), retries
 * ({@link dev.ringfence.agent.pipeline.RetryPolicy}, {@link dev.ringfence.agent.pipeline.Backoff})
 * and pool sizing ({@link dev.ringfence.agent.pipeline.PoolSizer}). Every time these read comes
 * from an injected clock of nanoseconds.
 */
package dev.ringfence.agent.pipeline;
