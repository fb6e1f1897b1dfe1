package dev.ringfence.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** A handler version got its own class loader and is ready to serve its route. */
@Name(VersionLoadedEvent.NAME)
@Label("Version Loaded")
@Category({"ringfence", "Loader"})
@Description("A handler version was loaded into its own class loader")
@StackTrace(false)
public final class VersionLoadedEvent extends jdk.jfr.Event {
    /** The JFR event name. */
    public static final String NAME = "ringfence.VersionLoaded";

    @Label("Route")
    String route;

    @Label("Version")
    @Description("Content hash of the handler's classpath")
    String version;

    @Label("Classes")
    @Description("Handler classes instrumented and defined")
    int classes;

    @Label("Cached Classes")
    @Description("Classes whose instrumented bytecode came from the on-disk cache")
    int cachedClasses;

    @Label("Load Time")
    @Timespan(Timespan.NANOSECONDS)
    long loadNanos;

    @Label("Classpath")
    String classpath;
}
