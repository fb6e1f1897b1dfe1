/**
 * ringfence's Flight Recorder side: the {@code ringfence.*} JFR event types and their emitter
 * ({@link dev.ringfence.jfr.RingfenceEvents}), the {@code ringfence.jfc} settings
 * ({@link dev.ringfence.jfr.Jfc}), live aggregation of invocation events into HdrHistogram
 * percentiles ({@link dev.ringfence.jfr.InvocationStats}) and the offline latency report of a
 * {@code .jfr} file ({@link dev.ringfence.jfr.RecordingReport}).
 *
 * <p>Event fields are primitives and strings only; outcomes are the stable names of
 * {@link dev.ringfence.api.Outcome}, and for a request the HTTP front answers before any route runs,
 * its error code ({@code NOT_FOUND}, {@code BODY_TOO_LARGE}).
 */
package dev.ringfence.jfr;
