package dev.ringfence.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * An invocation ran out of one of its budgets. The unit of {@code limit} and {@code used} follows
 * the outcome: nanoseconds for {@code TIMEOUT} and {@code CPU_EXCEEDED}, ticks for
 * {@code FUEL_EXCEEDED}, bytes for {@code ALLOC_EXCEEDED} and {@code NATIVE_EXCEEDED}, frames for
 * {@code STACK_EXCEEDED}.
 */
@Name(BudgetExceededEvent.NAME)
@Label("Budget Exceeded")
@Category({"ringfence", "Invocation"})
@Description("An invocation ran out of one of its budgets")
@StackTrace(false)
public final class BudgetExceededEvent extends jdk.jfr.Event {
    /** The JFR event name. */
    public static final String NAME = "ringfence.BudgetExceeded";

    @Label("Route")
    String route;

    @Label("Version")
    String version;

    @Label("Request Id")
    String requestId;

    @Label("Outcome")
    @Description("Which budget ran out (a dev.ringfence.api.Outcome name)")
    String outcome;

    @Label("Limit")
    @Description("The budget, in the unit of the outcome")
    long limit;

    @Label("Used")
    @Description("What had been used when the budget tripped, in the unit of the outcome")
    long used;

    @Label("Message")
    String message;
}
