package dev.ringfence.samples.webhook;

/**
 * One phase-1 decision, as phase 2 records it: a {@code decisions} row and, when the email had a
 * subject, an {@code email_subject_tracker} row.
 *
 * @param requestId the webhook request's id
 * @param workerId the edge worker
 * @param action what was decided
 * @param ruleId the static rule that decided it, or 0 (none, or a dynamic pattern)
 * @param subjectHash the subject's hash ({@link SubjectHash}), or 0 without a subject
 * @param subject the normalised subject, or null without one
 * @param atMillis when it was decided (epoch milliseconds)
 * @param newPattern whether this email's subject just reached the repeat threshold: phase 2 stores
 *     the dynamic rule
 */
public record Decision(String requestId, String workerId, String action, long ruleId, long subjectHash,
        String subject, long atMillis, boolean newPattern) {
}
