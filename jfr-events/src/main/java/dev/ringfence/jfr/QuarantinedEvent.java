package dev.ringfence.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** A route's handler version was quarantined: its handler threads did not stop and were abandoned. */
@Name(QuarantinedEvent.NAME)
@Label("Quarantined")
@Category({"ringfence", "Pipeline"})
@Description("A handler version stopped running in-process after its handler threads were abandoned")
@StackTrace(false)
public final class QuarantinedEvent extends jdk.jfr.Event {
    /** The JFR event name. */
    public static final String NAME = "ringfence.Quarantined";

    @Label("Route")
    String route;

    @Label("Version")
    @Description("Content hash of the quarantined handler version")
    String version;

    @Label("Request Id")
    @Description("The request whose handler thread was abandoned last")
    String requestId;

    @Label("Outcome")
    @Description("How that request ended (a dev.ringfence.api.Outcome name)")
    String outcome;

    @Label("Abandoned Threads")
    @Description("Handler threads of this version abandoned when it was quarantined")
    long abandonedThreads;

    @Label("Release After")
    @Description("How long the quarantine lasts; 0 until a new version loads")
    @Timespan(Timespan.NANOSECONDS)
    long releaseAfterNanos;

    @Label("Message")
    String message;
}
