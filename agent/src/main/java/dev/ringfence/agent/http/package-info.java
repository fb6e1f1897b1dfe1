/**
 * The HTTP front: {@link dev.ringfence.agent.http.HttpFront} serves {@code /fn/<route>} through
 * each route's pipeline (recording what it answers itself, 404 and 413, in
 * {@link dev.ringfence.agent.http.FrontRefusals}), {@code /metrics} in the Prometheus text exposition
 * ({@link dev.ringfence.agent.http.PrometheusText}, {@link dev.ringfence.agent.http.MetricsPage})
 * and {@code /status} as JSON ({@link dev.ringfence.agent.http.StatusPage}), on the JDK's
 * {@code com.sun.net.httpserver} with a bounded pool of worker threads.
 */
package dev.ringfence.agent.http;
