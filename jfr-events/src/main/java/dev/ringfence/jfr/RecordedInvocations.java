package dev.ringfence.jfr;

import jdk.jfr.consumer.RecordedEvent;

/** Reads {@code ringfence.Invocation} fields back from recorded events, tolerating old layouts. */
final class RecordedInvocations {
    /** Stands for a missing route or outcome. */
    static final String UNKNOWN = "-";

    private RecordedInvocations() {
    }

    static boolean isInvocation(RecordedEvent event) {
        return InvocationEvent.NAME.equals(event.getEventType().getName());
    }

    static String route(RecordedEvent event) {
        return string(event, "route");
    }

    static String outcome(RecordedEvent event) {
        return string(event, "outcome");
    }

    /**
     * The host's own measurement when present, because it covers the whole invocation from
     * admission; otherwise the event's JFR duration.
     */
    static long latencyNanos(RecordedEvent event) {
        long wall = event.hasField("wallNanos") ? event.getLong("wallNanos") : 0;
        return wall > 0 ? wall : Math.max(0, event.getDuration().toNanos());
    }

    private static String string(RecordedEvent event, String field) {
        String value = event.hasField(field) ? event.getString(field) : null;
        return value == null ? UNKNOWN : value;
    }
}
