/**
 * Structured output: JSON text ({@link dev.ringfence.agent.log.JsonText}) and the one-object-per-line
 * event log on stderr ({@link dev.ringfence.agent.log.EventLog}) that reports slow invocations,
 * budget trips, denials, breaker transitions, reloads and unloads.
 */
package dev.ringfence.agent.log;
