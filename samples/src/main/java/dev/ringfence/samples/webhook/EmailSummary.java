package dev.ringfence.samples.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What an edge worker sends about one email: its worker id and the email's from, to, subject,
 * message id and size. Only {@code workerId} is required; the others are absent rather than null
 * when the worker has nothing for them ({@link #payload}: the minimal payload the seed's workers
 * build).
 *
 * @param workerId the edge worker that received the email
 * @param from the sender, or null
 * @param to the recipient, or null
 * @param subject the subject, or null
 * @param messageId the Message-ID, or null
 * @param size the raw size in bytes, or -1 when unknown
 */
public record EmailSummary(String workerId, String from, String to, String subject, String messageId, long size) {
    /**
     * Reads a webhook's JSON body.
     *
     * @param json the parsed body
     * @return the summary
     * @throws IllegalArgumentException when it is not an object with a text {@code workerId}
     */
    public static EmailSummary of(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("the body must be a JSON object");
        }
        JsonNode w = json.get("workerId");
        if (w == null || !w.isTextual() || w.asText().isBlank()) {
            throw new IllegalArgumentException("workerId is required (a non-blank string)");
        }
        JsonNode size = json.get("size");
        return new EmailSummary(w.asText(), text(json, "from"), text(json, "to"), text(json, "subject"),
                text(json, "messageId"), size != null && size.canConvertToLong() ? size.asLong() : -1);
    }

    private static String text(JsonNode json, String field) {
        JsonNode n = json.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    /**
     * The payload a worker sends for this email: only the fields it has (no nulls, no empty
     * strings, no unknown size), so the request is as small as it can be.
     *
     * @param mapper the mapper whose nodes to build
     * @return the JSON object
     */
    public ObjectNode payload(ObjectMapper mapper) {
        ObjectNode o = mapper.createObjectNode();
        o.put("workerId", workerId);
        put(o, "from", from);
        put(o, "to", to);
        put(o, "subject", subject);
        put(o, "messageId", messageId);
        if (size >= 0) {
            o.put("size", size);
        }
        return o;
    }

    private static void put(ObjectNode o, String field, String value) {
        if (value != null && !value.isEmpty()) {
            o.put(field, value);
        }
    }
}
