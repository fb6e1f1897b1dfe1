package dev.ringfence.agent.pipeline;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.jfr.RingfenceEvents;

/**
 * Turns one route's quarantines into log lines ({@code quarantined}, {@code quarantine-lifted}) and
 * {@code ringfence.Quarantined} JFR events. Stateless and quick, as a {@link Quarantine.Listener}
 * must be.
 */
final class QuarantineEvents implements Quarantine.Listener {
    private final String route;
    private final EventLog log;

    QuarantineEvents(String route, EventLog log) {
        this.route = route;
        this.log = log;
    }

    @Override
    public void quarantined(Quarantine.Status s, long releaseAfterNanos) {
        RingfenceEvents.quarantined(route, s.version(), s.requestId(), s.outcome().name(), s.abandonedThreads(),
                releaseAfterNanos, s.reason());
        log.emit(log.line("quarantined").put("route", route).put("version", s.version())
                .put("requestId", s.requestId()).put("outcome", s.outcome().name())
                .put("abandonedThreads", s.abandonedThreads())
                .put("releaseAt", s.releaseAt() == null ? null : s.releaseAt().toString()).put("message", s.reason()));
    }

    @Override
    public void lifted(Quarantine.Status s, String why) {
        log.emit(log.line("quarantine-lifted").put("route", route).put("version", s.version())
                .put("since", s.since().toString()).put("message", why));
    }
}
