package dev.ringfence.agent.pipeline;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.jfr.RingfenceEvents;
import dev.ringfence.loader.VersionInfo;
import dev.ringfence.loader.VersionListener;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns version life events into log lines and JFR events. Remembers Metaspace when a version is
 * retired, so its unload line can give the change since then: what the unload freed, less what
 * loaded meanwhile (the new version's classes loaded on demand, the JDK's own), so a rough figure. Thread-safe; quick, as a {@link VersionListener} must be.
 */
final class VersionEvents implements VersionListener {
    private final EventLog log;
    private final Map<String, Long> metaspaceAtRetire = new ConcurrentHashMap<>();

    VersionEvents(EventLog log) {
        this.log = log;
    }

    /** Notes Metaspace as a version is retired (replaced, or its route removed). */
    void retiring(VersionInfo version) {
        metaspaceAtRetire.put(version.id(), JvmMemory.metaspaceUsed());
    }

    @Override
    public void onLoaded(String route, VersionInfo loaded, VersionInfo replaced) {
        if (replaced != null) {
            retiring(replaced);
        }
    }

    @Override
    public void onUnloaded(String route, VersionInfo version, long nanosToCollection) {
        RingfenceEvents.versionUnloaded(route, version.shortId(), nanosToCollection);
        Long before = metaspaceAtRetire.remove(version.id());
        long now = JvmMemory.metaspaceUsed();
        log.emit(log.line("unloaded").put("route", route).put("version", version.shortId())
                .put("classes", version.classCount()).put("afterMs", nanosToCollection / 1_000_000)
                .put("metaspaceUsedBytes", now)
                .put("metaspaceDeltaSinceRetireBytes", before == null || before < 0 || now < 0 ? null : now - before));
    }

    @Override
    public void onLeaked(String route, VersionInfo version, long nanosSinceClose, String cause) {
        RingfenceEvents.loaderLeaked(route, version.shortId(), cause, nanosSinceClose);
        log.emit(log.line("leaked").put("route", route).put("version", version.shortId())
                .put("afterMs", nanosSinceClose / 1_000_000).put("cause", cause));
    }
}
