package dev.ringfence.api;

/**
 * Seen by host code (outside the sandbox) when a budgeted call it made ran out of budget.
 * Handler code never sees it: inside the sandbox a budget trip cannot be caught.
 */
public class BudgetExceededException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Outcome outcome;

    /**
     * Creates the exception.
     *
     * @param outcome the budget that ran out
     * @param message what happened
     */
    public BudgetExceededException(Outcome outcome, String message) {
        super(message);
        this.outcome = outcome;
    }

    /**
     * The budget that ran out.
     *
     * @return the outcome
     */
    public Outcome outcome() {
        return outcome;
    }
}
