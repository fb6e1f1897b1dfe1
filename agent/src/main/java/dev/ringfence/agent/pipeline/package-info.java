/**
 * The invocation pipeline: running one request through a route's current handler version on
 * the in-process tier and recording the outcome whatever the handler did.
 */
package dev.ringfence.agent.pipeline;
