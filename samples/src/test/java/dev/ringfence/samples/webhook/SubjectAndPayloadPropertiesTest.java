package dev.ringfence.samples.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Iterator;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import net.jqwik.api.constraints.WithNull;

/**
 * The seed's properties 5 and 7 as invariants: a subject's hash depends only on its normalised
 * form (so repeats are counted whatever the prefixes, case and numbers), and a worker's payload
 * carries no null or empty field yet loses nothing it had.
 */
class SubjectAndPayloadPropertiesTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Property(tries = 500)
    void repliesCaseAndNumbersDoNotChangeASubjectsHash(@ForAll @StringLength(min = 1, max = 1000) String subject,
            @ForAll @IntRange(min = 0, max = 99_999) int number) {
        String base = subject + " " + number;
        long h = SubjectHash.of(base);
        assertEquals(h, SubjectHash.of("Re: " + base));
        assertEquals(h, SubjectHash.of("FWD: re: " + base));
        assertEquals(SubjectHash.of(subject + " 0"), SubjectHash.of(subject + " " + (number + 1)));
        assertEquals(SubjectHash.normalise(base), SubjectHash.normalise(SubjectHash.normalise(base)), "idempotent");
        String hex = SubjectHash.hex(h);
        assertEquals(16, hex.length());
        assertEquals(h, Long.parseUnsignedLong(hex, 16));
    }

    @Property(tries = 500)
    void aPayloadHasNoNullOrEmptyFieldAndReadsBackWhole(@ForAll @StringLength(min = 1, max = 20) String worker,
            @ForAll @WithNull(0.3) @StringLength(max = 40) String from, @ForAll @WithNull(0.3) String to,
            @ForAll @WithNull(0.3) String subject, @ForAll @WithNull(0.5) String messageId,
            @ForAll @IntRange(min = -1, max = 1_000_000) int size) throws Exception {
        if (worker.isBlank()) {
            return; // not a worker id: refused, tested apart
        }
        EmailSummary sent = new EmailSummary(worker, from, to, subject, messageId, size);
        String json = MAPPER.writeValueAsString(sent.payload(MAPPER));
        JsonNode tree = MAPPER.readTree(json);
        for (Iterator<Map.Entry<String, JsonNode>> it = tree.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> f = it.next();
            assertFalse(f.getValue().isNull(), f.getKey() + " is null in " + json);
            assertFalse(f.getValue().isTextual() && f.getValue().asText().isEmpty(), f.getKey() + " is empty in " + json);
        }
        EmailSummary read = EmailSummary.of(tree);
        assertEquals(worker, read.workerId());
        assertEquals(blankToNull(from), read.from());
        assertEquals(blankToNull(to), read.to());
        assertEquals(blankToNull(subject), read.subject());
        assertEquals(blankToNull(messageId), read.messageId());
        assertEquals(size, read.size());
        assertTrue(json.length() <= MAPPER.writeValueAsString(sent).length(), "no larger than the full record");
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
