/**
 * The invocation pipeline: a served route ({@link dev.ringfence.agent.pipeline.Route}: its
 * versions, hot reload and the path of every request through it), the routes of one server
 * ({@link dev.ringfence.agent.pipeline.RouteTable}, {@link dev.ringfence.agent.pipeline.RouteRuntime}),
 * what they record ({@link dev.ringfence.agent.pipeline.RouteStats}), running one request through a
 * handler version on the in-process tier ({@link dev.ringfence.agent.pipeline.InProcessRoute}) and
 * recording the outcome whatever the handler did, and the parts a route is served through — its
 * settings ({@link dev.ringfence.agent.pipeline.RouteSettings}), admission
 * ({@link dev.ringfence.agent.pipeline.Admission}), circuit breaker
 * ({@link dev.ringfence.agent.pipeline.CircuitBreaker}), the quarantine of a version whose handler
 * threads were abandoned ({@link dev.ringfence.agent.pipeline.Quarantine}), retries
 * ({@link dev.ringfence.agent.pipeline.RetryPolicy}, {@link dev.ringfence.agent.pipeline.Backoff})
 * and pool sizing ({@link dev.ringfence.agent.pipeline.PoolSizer}) — and the server's memory
 * limits ({@link dev.ringfence.agent.pipeline.MemoryWatch}: which route to pause or recycle when the
 * heap, read by a {@link dev.ringfence.agent.pipeline.HeapGauge}, passes them) — and a route's
 * deferred work, phase 2 after the response ({@link dev.ringfence.agent.pipeline.DeferredWork},
 * its counts in {@link dev.ringfence.agent.pipeline.DeferredStats}). Every time the pipeline
 * reads comes from an injected clock of nanoseconds; deferred work's lag and drain use
 * {@link System#nanoTime()}.
 */
package dev.ringfence.agent.pipeline;
