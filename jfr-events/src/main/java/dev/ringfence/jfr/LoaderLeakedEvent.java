package dev.ringfence.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** A retired handler version's class loader was still reachable when its bound ran out. */
@Name(LoaderLeakedEvent.NAME)
@Label("Loader Leaked")
@Category({"ringfence", "Loader"})
@Description("A closed handler class loader was not collected in time")
@StackTrace(false)
public final class LoaderLeakedEvent extends jdk.jfr.Event {
    /** The JFR event name. */
    public static final String NAME = "ringfence.LoaderLeaked";

    @Label("Route")
    String route;

    @Label("Version")
    String version;

    @Label("Cause")
    @Description("The likely cause: a thread it started, a ThreadLocal, a static registry in a parent")
    String cause;

    @Label("Age")
    @Description("Time since the loader was closed")
    @Timespan(Timespan.NANOSECONDS)
    long ageNanos;
}
