package dev.ringfence.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * Handler code reached an API its policy denies. Stack traces stay on (unlike the invocation
 * events): emitted at the denial site, the trace shows which handler code made the call.
 */
@Name(DeniedEvent.NAME)
@Label("Denied")
@Category({"ringfence", "Policy"})
@Description("Handler code reached an API its policy denies")
public final class DeniedEvent extends jdk.jfr.Event {
    /** The JFR event name. */
    public static final String NAME = "ringfence.Denied";

    @Label("Route")
    String route;

    @Label("Version")
    String version;

    @Label("Request Id")
    String requestId;

    @Label("API")
    @Description("The denied class, method or resource")
    String api;

    @Label("Message")
    String message;
}
