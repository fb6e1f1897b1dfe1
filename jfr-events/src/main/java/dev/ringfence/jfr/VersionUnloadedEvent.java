package dev.ringfence.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** A retired handler version's class loader was proven collected. */
@Name(VersionUnloadedEvent.NAME)
@Label("Version Unloaded")
@Category({"ringfence", "Loader"})
@Description("A retired handler version's class loader was proven collected")
@StackTrace(false)
public final class VersionUnloadedEvent extends jdk.jfr.Event {
    /** The JFR event name. */
    public static final String NAME = "ringfence.VersionUnloaded";

    @Label("Route")
    String route;

    @Label("Version")
    String version;

    @Label("Unload Time")
    @Description("From closing the loader to the proof that it was collected")
    @Timespan(Timespan.NANOSECONDS)
    long unloadNanos;
}
