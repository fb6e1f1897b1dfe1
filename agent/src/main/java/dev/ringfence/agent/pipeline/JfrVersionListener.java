package dev.ringfence.agent.pipeline;

import dev.ringfence.jfr.RingfenceEvents;
import dev.ringfence.loader.VersionInfo;
import dev.ringfence.loader.VersionListener;
import java.io.PrintStream;

/**
 * Forwards the loader's version events to JFR ({@code ringfence.VersionLoaded},
 * {@code ringfence.VersionUnloaded}, {@code ringfence.LoaderLeaked}) and reports a leak on a log
 * line too. Stateless apart from the log stream; safe from any thread.
 */
public final class JfrVersionListener implements VersionListener {
    private final PrintStream log;

    /**
     * @param log where leak reports are written
     */
    public JfrVersionListener(PrintStream log) {
        this.log = log;
    }

    @Override
    public void onLoaded(String route, VersionInfo loaded, VersionInfo replaced) {
        RingfenceEvents.versionLoaded(route, loaded.shortId(), loaded.classCount(), 0, loaded.loadNanos(),
                loaded.classpath().toString());
    }

    @Override
    public void onUnloaded(String route, VersionInfo version, long nanosToCollection) {
        RingfenceEvents.versionUnloaded(route, version.shortId(), nanosToCollection);
    }

    @Override
    public void onLeaked(String route, VersionInfo version, long nanosSinceClose, String cause) {
        RingfenceEvents.loaderLeaked(route, version.shortId(), cause, nanosSinceClose);
        log.println("ringfence: route " + route + ": version " + version.shortId() + " was not collected "
                + nanosSinceClose / 1_000_000 + " ms after it was closed; likely cause: " + cause);
    }
}
