package dev.ringfence.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * One piece of deferred work (phase 2) that ended: a task a handler handed to
 * {@code Context.defer}, or one flush of a batcher, committed by the host when it ended, was
 * refused a queue place, or was dropped at a drain. Fields are set only through
 * {@link RingfenceEvents}.
 */
@Name(DeferredEvent.NAME)
@Label("Deferred")
@Category({"ringfence", "Deferred"})
@Description("Deferred work run after a response: a task or a batch flush, and the resources it used")
@StackTrace(false)
public final class DeferredEvent extends jdk.jfr.Event {
    /** The JFR event name. */
    public static final String NAME = "ringfence.Deferred";

    @Label("Route")
    String route;

    @Label("Version")
    @Description("Content hash of the handler version whose sandbox ran it")
    String version;

    @Label("Request Id")
    @Description("The request that deferred it; for a batch flush, the request whose item sealed the batch, or empty"
            + " when its linger or a drain did")
    String requestId;

    @Label("Kind")
    @Description("task (Context.defer) or batch (a batcher's flush)")
    String kind;

    @Label("Batch")
    @Description("The batcher's name, empty for a task")
    String batch;

    @Label("Items")
    @Description("Items handed to the flush, 0 for a task")
    int items;

    @Label("Outcome")
    @Description("A dev.ringfence.api.Outcome name, REJECTED (the deferred queue was full) or DROPPED (not started"
            + " before a drain's bound)")
    String outcome;

    @Label("Lag")
    @Description("From the moment the work was handed over (its batch sealed) to its start; 0 when it never started")
    @Timespan(Timespan.NANOSECONDS)
    long lagNanos;

    @Label("Wall Time")
    @Timespan(Timespan.NANOSECONDS)
    long wallNanos;

    @Label("CPU Time")
    @Timespan(Timespan.NANOSECONDS)
    long cpuNanos;

    @Label("Allocated")
    @DataAmount(DataAmount.BYTES)
    long allocatedBytes;

    @Label("Message")
    String message;
}
