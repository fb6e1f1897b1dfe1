package dev.ringfence.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A route's circuit breaker changed state. */
@Name(BreakerTransitionEvent.NAME)
@Label("Breaker Transition")
@Category({"ringfence", "Pipeline"})
@Description("A route's circuit breaker moved between CLOSED, OPEN and HALF_OPEN")
@StackTrace(false)
public final class BreakerTransitionEvent extends jdk.jfr.Event {
    /** The JFR event name. */
    public static final String NAME = "ringfence.BreakerTransition";

    @Label("Route")
    String route;

    @Label("From")
    @Description("The state left")
    String from;

    @Label("To")
    @Description("The state entered")
    String to;
}
