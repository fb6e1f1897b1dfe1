package dev.ringfence.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * One handler invocation, committed when the host records its outcome, whatever the handler did.
 *
 * <p>The event's own duration covers the invocation when it was obtained from
 * {@link RingfenceEvents#beginInvocation()}; {@code wallNanos} carries the caller's own
 * {@code System.nanoTime()} measurement and is what {@link RecordingReport} and
 * {@link InvocationStats} use when it is positive. Fields are set only through
 * {@link RingfenceEvents}.
 */
@Name(InvocationEvent.NAME)
@Label("Invocation")
@Category({"ringfence", "Invocation"})
@Description("A handler invocation and the resources it used")
@StackTrace(false)
public final class InvocationEvent extends jdk.jfr.Event {
    /** The JFR event name. */
    public static final String NAME = "ringfence.Invocation";

    @Label("Route")
    @Description("The route the request was addressed to")
    String route;

    @Label("Version")
    @Description("Content hash of the handler version that ran")
    String version;

    @Label("Request Id")
    String requestId;

    @Label("Outcome")
    @Description("How the invocation ended: a dev.ringfence.api.Outcome name, or NOT_FOUND (no such route) or"
            + " BODY_TOO_LARGE (a body over the route's bound) for a request the HTTP front answered before any route ran")
    String outcome;

    @Label("Wall Time")
    @Description("Wall-clock time from admission to completion, measured by the host")
    @Timespan(Timespan.NANOSECONDS)
    long wallNanos;

    @Label("CPU Time")
    @Description("CPU time of the handler's thread")
    @Timespan(Timespan.NANOSECONDS)
    long cpuNanos;

    @Label("Allocated")
    @Description("Bytes allocated by the handler's thread")
    @DataAmount(DataAmount.BYTES)
    long allocatedBytes;

    @Label("Fuel")
    @Description("Deterministic ticks (loop back-edges and method entries) used; -1 when the version's probes count none (guarded)")
    long fuel;

    @Label("Message")
    String message;
}
