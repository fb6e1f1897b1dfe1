package dev.ringfence.samples.webhook;

import java.util.Locale;
import java.util.Set;

/**
 * A filter rule: when {@code field} of an email summary contains {@code pattern} (case folded),
 * the email gets {@code action}. A static rule comes from {@code POST /fn/webhook/rules}, for one
 * worker or (worker null) for all; a dynamic one is made by phase 2 for a subject repeated within
 * the window, and is matched through the {@link PatternSet} by subject hash (its pattern is that
 * hash in hexadecimal), never by scanning.
 *
 * @param id the database's id
 * @param workerId the worker it applies to, or null for every worker
 * @param field {@code from}, {@code to} or {@code subject}
 * @param pattern what the field must contain (a subject hash for a dynamic rule)
 * @param action {@code forward}, {@code drop} or {@code quarantine}
 * @param dynamic whether phase 2 made it from repeated subjects
 */
public record Rule(long id, String workerId, String field, String pattern, String action, boolean dynamic) {
    /** The fields a rule may look at. */
    public static final Set<String> FIELDS = Set.of("from", "to", "subject");
    /** The actions a rule may decide. */
    public static final Set<String> ACTIONS = Set.of("forward", "drop", "quarantine");

    /**
     * Checks a new rule's parts.
     *
     * @param field the field
     * @param pattern the pattern
     * @param action the action
     * @return null when they are good, else what is wrong
     */
    public static String problem(String field, String pattern, String action) {
        if (field == null || !FIELDS.contains(field)) {
            return "field must be one of " + FIELDS + ": " + field;
        }
        if (pattern == null || pattern.isBlank()) {
            return "pattern must not be blank";
        }
        if (action == null || !ACTIONS.contains(action)) {
            return "action must be one of " + ACTIONS + ": " + action;
        }
        return null;
    }

    /**
     * @param email an email summary
     * @return whether this (static) rule matches it
     */
    public boolean matches(EmailSummary email) {
        String value = switch (field) {
            case "from" -> email.from();
            case "to" -> email.to();
            default -> email.subject();
        };
        return value != null && value.toLowerCase(Locale.ROOT).contains(pattern.toLowerCase(Locale.ROOT));
    }

    /**
     * @param worker a worker id
     * @return whether this rule applies to that worker
     */
    public boolean appliesTo(String worker) {
        return workerId == null || workerId.equals(worker);
    }
}
