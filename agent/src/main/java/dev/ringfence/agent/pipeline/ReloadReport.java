package dev.ringfence.agent.pipeline;

import java.time.Instant;

/**
 * How the last change to a route's folder was taken.
 *
 * @param ok whether it went live (a failure leaves the previous version and settings serving)
 * @param at when it was tried
 * @param version the version serving afterwards (short id), or null when none is
 * @param message what happened, one line: what was loaded, or why it could not be
 */
public record ReloadReport(boolean ok, Instant at, String version, String message) {
}
