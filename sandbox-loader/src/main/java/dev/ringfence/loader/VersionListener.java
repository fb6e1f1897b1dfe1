package dev.ringfence.loader;

/**
 * Receives the life events of a route's handler versions (the agent turns them into JFR events
 * and metrics). Every method has an empty default.
 *
 * <p>Assumptions and guarantees: {@link #onLoaded} is called on the thread that reloads, after the
 * new version is live; {@link #onUnloaded} and {@link #onLeaked} on the {@link UnloadWatch}'s
 * thread. Calls for one version come in order: loaded, then at most one leaked, then at most one
 * unloaded. A version whose {@link HandlerVersions.Preparation} failed never went live: it gets no
 * {@code onLoaded}, but its unload (or leak) is reported like a retired version's. A listener must be quick and must not throw; what it throws is reported on
 * {@code System.err} and otherwise ignored. Arguments never reference the version's class loader.
 */
public interface VersionListener {
    /** A listener that ignores everything. */
    VersionListener NONE = new VersionListener() {
    };

    /**
     * A version went live.
     *
     * @param route the route
     * @param loaded the new version
     * @param replaced the version it replaced, or null for the route's first version
     */
    default void onLoaded(String route, VersionInfo loaded, VersionInfo replaced) {
    }

    /**
     * A retired version's class loader was garbage collected: its classes are unloaded.
     *
     * @param route the route
     * @param version the version
     * @param nanosToCollection time from the loader's close until the collection was seen
     */
    default void onUnloaded(String route, VersionInfo version, long nanosToCollection) {
    }

    /**
     * A retired version's class loader was not collected within the bound.
     *
     * @param route the route
     * @param version the version
     * @param nanosSinceClose time since the loader was closed
     * @param cause what likely keeps it alive, one line; {@code "unknown: …"} when nothing was found
     */
    default void onLeaked(String route, VersionInfo version, long nanosSinceClose, String cause) {
    }
}
