/**
 * The webhook-filter sample: route {@code webhook}, a two-phase service on SQLite. Phase 1 decides
 * {@code forward} or {@code drop} for an email summary from memory alone (per-worker rule cache,
 * dynamic subject patterns in an O(1) set, subject hashing); phase 2, deferred and batched, records
 * the decisions and subject-tracker rows in SQLite (WAL) and turns subjects repeated within a
 * window into dynamic rules.
 */
package dev.ringfence.samples.webhook;
