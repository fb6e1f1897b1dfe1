package dev.ringfence.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A handler version of an {@code isolation=auto} route moved from this JVM to a child JVM. */
@Name(EscalatedEvent.NAME)
@Label("Escalated")
@Category({"ringfence", "Pipeline"})
@Description("A handler version moved to the process tier because this JVM could not contain it")
@StackTrace(false)
public final class EscalatedEvent extends jdk.jfr.Event {
    /** The JFR event name. */
    public static final String NAME = "ringfence.Escalated";

    @Label("Route")
    String route;

    @Label("Version")
    @Description("Content hash of the handler version that moved")
    String version;

    @Label("Reason")
    @Description("What showed that one JVM could not contain it: native-budget, native-library, stuck-thread or"
            + " leaked-loader")
    String reason;

    @Label("Request Id")
    @Description("The request that showed it, or empty for a leaked class loader")
    String requestId;

    @Label("Message")
    String message;
}
