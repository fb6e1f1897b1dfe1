/**
 * The HTTP front's pieces: the Prometheus text exposition behind {@code GET /metrics}.
 */
package dev.ringfence.agent.http;
