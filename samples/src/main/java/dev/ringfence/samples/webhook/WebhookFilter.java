package dev.ringfence.samples.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringfence.api.Batcher;
import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The webhook filter (route {@code webhook}): edge workers post a summary of each email they
 * receive and are told at once whether to forward or drop it; the bookkeeping follows in batches.
 *
 * <ul>
 *   <li>{@code POST /fn/webhook} with {@code {"workerId":"w1","from":…,"to":…,"subject":…}} answers
 *       {@code {"action":"forward"|"drop"|"quarantine","rule":…}} from memory alone (phase 1): the
 *       dynamic subject patterns ({@link PatternSet}, by {@link SubjectHash}) first, then the
 *       worker's static rules ({@link RuleCache}, at most {@value RuleCache#MAX_AGE_SECONDS} s
 *       stale), else {@code forward}. A subject seen {@value #REPEATS} times within
 *       {@value #WINDOW_MINUTES} minutes becomes a dynamic {@code drop} rule for later emails.</li>
 *   <li>Phase 2, after the response: the decision joins the batcher {@code decisions}, flushed in one
 *       SQLite transaction ({@link WebhookStore#record}); a stale rule book is reloaded by a deferred
 *       task.</li>
 *   <li>{@code POST /fn/webhook/rules} ({@code field}, {@code pattern}, {@code action}, optional
 *       {@code workerId}) adds a rule, {@code DELETE /fn/webhook/rules/<id>} removes one,
 *       {@code GET /fn/webhook/rules} lists them, {@code GET /fn/webhook/stats} answers
 *       {@code {"total":n,"actions":{…},"workers":{…}}} from the database, with {@code decided}
 *       (phase-1 decisions this child made), the rule cache's {@code hits} and {@code loads}, and
 *       the dynamic {@code patterns} held.</li>
 * </ul>
 *
 * <p>Its database is {@code webhook.db} in the child JVM's temporary directory, which the route
 * sets to its own data directory ({@code tmpdir=data}, the only directory its policy lets it
 * write): sqlite-jdbc extracts its native library there too. It needs {@code isolation=process}
 * and {@code policy.native=true} (see the route's {@code route.properties}).
 */
public final class WebhookFilter implements Handler {
    /** Repeats of a subject within the window that make it a dynamic rule. */
    public static final int REPEATS = 5;
    /** The repeat window. */
    public static final long WINDOW_MINUTES = 10;
    private static final long WINDOW_MILLIS = TimeUnit.MINUTES.toMillis(WINDOW_MINUTES);

    private final ObjectMapper mapper = new ObjectMapper();
    private final WebhookStore store;
    private final RuleCache rules;
    private final PatternSet patterns = new PatternSet();
    private final SubjectWindow window = new SubjectWindow(TimeUnit.MINUTES.toNanos(WINDOW_MINUTES), REPEATS);
    private final AtomicBoolean reloading = new AtomicBoolean();
    private final LongAdder decided = new LongAdder();

    /**
     * Opens the database in the child's temporary directory and loads the rules, the dynamic
     * patterns and the window's recent subjects into memory.
     *
     * @throws IllegalStateException when the database cannot be opened
     */
    public WebhookFilter() {
        try {
            store = WebhookStore.open(Path.of(System.getProperty("java.io.tmpdir"), "webhook.db"));
            List<Rule> all = store.rules();
            rules = new RuleCache(all.stream().filter(r -> !r.dynamic()).toList(), System::nanoTime);
            all.stream().filter(Rule::dynamic).forEach(r -> patterns.add(Long.parseUnsignedLong(r.pattern(), 16)));
            long nowMillis = System.currentTimeMillis();
            long nowNanos = System.nanoTime();
            for (long[] row : store.recentSubjects(nowMillis - WINDOW_MILLIS)) {
                window.arrive(row[0], nowNanos - TimeUnit.MILLISECONDS.toNanos(nowMillis - row[1]));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the webhook database: " + e.getMessage(), e);
        }
    }

    @Override
    public Response handle(Request request, Context context) {
        String path = request.path();
        String method = request.method();
        try {
            if (path.equals("/") && method.equals("POST")) {
                return decide(request, context);
            }
            if (path.equals("/stats") && method.equals("GET")) {
                return stats();
            }
            if (path.equals("/rules") && method.equals("GET")) {
                return listRules();
            }
            if (path.equals("/rules") && method.equals("POST")) {
                return addRule(request);
            }
            if (path.startsWith("/rules/") && method.equals("DELETE")) {
                return deleteRule(path.substring("/rules/".length()));
            }
            return Response.of(404, "POST /fn/webhook, GET /fn/webhook/stats, GET|POST /fn/webhook/rules,"
                    + " DELETE /fn/webhook/rules/<id>");
        } catch (SQLException e) {
            return Response.of(503, "the database is not available: " + e.getMessage());
        }
    }

    /** Phase 1: the decision from memory; the bookkeeping goes to phase 2. */
    private Response decide(Request request, Context context) {
        EmailSummary email;
        try {
            email = EmailSummary.of(mapper.readTree(request.body()));
        } catch (IOException | IllegalArgumentException e) {
            return Response.of(400, "not an email summary: " + e.getMessage());
        }
        long hash = email.subject() == null ? 0 : SubjectHash.of(email.subject());
        String action = "forward";
        String rule = null;
        long ruleId = 0;
        if (email.subject() != null && patterns.contains(hash)) {
            action = "drop";
            rule = "dynamic:" + SubjectHash.hex(hash);
        } else {
            for (Rule r : rules.rules(email.workerId())) {
                if (r.matches(email)) {
                    action = r.action();
                    rule = Long.toString(r.id());
                    ruleId = r.id();
                    break;
                }
            }
        }
        boolean newPattern = email.subject() != null && window.arrive(hash, System.nanoTime()) && patterns.add(hash);
        decided.increment();
        Batcher<Decision> decisions = context.batcher("decisions", this::record);
        decisions.add(new Decision(request.requestId(), email.workerId(), action, ruleId, hash,
                email.subject() == null ? null : SubjectHash.normalise(email.subject()), System.currentTimeMillis(),
                newPattern));
        if (rules.bookStale() && reloading.compareAndSet(false, true) && !context.defer(this::reload)) {
            reloading.set(false);
        }
        ObjectNode answer = mapper.createObjectNode().put("action", action);
        answer.put("rule", rule);
        return json(200, answer);
    }

    /** Phase 2: one batch of decisions into the database. */
    private void record(List<Decision> batch) {
        try {
            for (long hash : store.record(batch, WINDOW_MILLIS, REPEATS)) {
                patterns.add(hash); // made by another child, or confirmed by the database's count
            }
        } catch (SQLException e) {
            throw new IllegalStateException("recording " + batch.size() + " decisions failed: " + e.getMessage(), e);
        }
    }

    /** Phase 2: the rule book and the dynamic patterns from the database (other children's changes). */
    private void reload() {
        try {
            List<Rule> all = store.rules();
            rules.replaceAll(all.stream().filter(r -> !r.dynamic()).toList());
            all.stream().filter(Rule::dynamic).forEach(r -> patterns.add(Long.parseUnsignedLong(r.pattern(), 16)));
        } catch (SQLException e) {
            throw new IllegalStateException("reloading the rules failed: " + e.getMessage(), e);
        } finally {
            reloading.set(false);
        }
    }

    private Response stats() throws SQLException {
        WebhookStore.Stats s = store.stats();
        ObjectNode o = mapper.createObjectNode().put("total", s.total());
        ObjectNode actions = o.putObject("actions");
        s.actions().forEach(actions::put);
        ObjectNode workers = o.putObject("workers");
        s.workers().forEach(workers::put);
        o.put("decided", decided.sum()).put("patterns", patterns.size());
        o.putObject("cache").put("hits", rules.hits()).put("loads", rules.loads());
        return json(200, o);
    }

    private Response listRules() throws SQLException {
        ArrayNode list = mapper.createArrayNode();
        for (Rule r : store.rules()) {
            list.add(ruleJson(r));
        }
        return json(200, list);
    }

    private Response addRule(Request request) throws SQLException {
        JsonNode in;
        try {
            in = mapper.readTree(request.body());
        } catch (IOException e) {
            return Response.of(400, "not JSON: " + e.getMessage());
        }
        if (in == null || !in.isObject()) {
            return Response.of(400, "send {\"field\":\"subject\",\"pattern\":\"sale\",\"action\":\"drop\"}");
        }
        String field = in.path("field").asText(null);
        String pattern = in.path("pattern").asText(null);
        String action = in.path("action").asText(null);
        String problem = Rule.problem(field, pattern, action);
        if (problem != null) {
            return Response.of(400, problem);
        }
        Rule r = store.addRule(in.hasNonNull("workerId") ? in.get("workerId").asText() : null, field, pattern, action);
        rules.added(r);
        return json(201, ruleJson(r));
    }

    private Response deleteRule(String id) throws SQLException {
        long n;
        try {
            n = Long.parseLong(id);
        } catch (NumberFormatException e) {
            return Response.of(400, "not a rule id: " + id);
        }
        if (!store.deleteRule(n)) {
            return Response.of(404, "no rule " + n);
        }
        rules.removed(n);
        return Response.of(200, "deleted rule " + n);
    }

    private ObjectNode ruleJson(Rule r) {
        ObjectNode o = mapper.createObjectNode().put("id", r.id());
        if (r.workerId() != null) {
            o.put("workerId", r.workerId());
        }
        return o.put("field", r.field()).put("pattern", r.pattern()).put("action", r.action())
                .put("dynamic", r.dynamic());
    }

    private Response json(int status, JsonNode body) {
        try {
            return Response.bytes(status, mapper.writeValueAsBytes(body), "application/json");
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
