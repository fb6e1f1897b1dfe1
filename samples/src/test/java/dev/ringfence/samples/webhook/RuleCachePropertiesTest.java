package dev.ringfence.samples.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/** The seed's property 3: after a worker's first request, its later ones within 60 s are cache hits. */
class RuleCachePropertiesTest {
    private static final List<Rule> BOOK = List.of(new Rule(1, null, "from", "spam", "drop", false),
            new Rule(2, "w1", "subject", "invoice", "quarantine", false),
            new Rule(3, "w2", "to", "ceo", "drop", false));

    @Property(tries = 300)
    void everyWorkerLoadsOnceThenHitsWhileNothingChanges(
            @ForAll @Size(min = 1, max = 200) List<@StringLength(min = 1, max = 2) String> workers,
            @ForAll @IntRange(min = 0, max = 59_000) int millisBetween) {
        AtomicLong clock = new AtomicLong();
        RuleCache cache = new RuleCache(BOOK, clock::get);
        long spread = TimeUnit.MILLISECONDS.toNanos(millisBetween) / workers.size(); // all within 60 s of the first
        for (String w : workers) {
            List<Rule> rules = cache.rules(w);
            assertTrue(rules.stream().allMatch(r -> r.appliesTo(w)), "only the worker's rules: " + rules);
            clock.addAndGet(spread);
        }
        long distinct = new HashSet<>(workers).size();
        assertEquals(distinct, cache.loads(), "one load per worker");
        assertEquals(workers.size() - distinct, cache.hits(), "every later request a hit");
    }

    @Property(tries = 200)
    void aChangeOrSixtySecondsRetireEveryWorkersEntry(
            @ForAll @Size(min = 1, max = 50) List<@StringLength(min = 1, max = 2) String> workers,
            @ForAll boolean change) {
        AtomicLong clock = new AtomicLong();
        RuleCache cache = new RuleCache(BOOK, clock::get);
        workers.forEach(cache::rules);
        long before = cache.loads();
        if (change) {
            cache.added(new Rule(9, null, "subject", "new", "drop", false));
        } else {
            clock.addAndGet(TimeUnit.SECONDS.toNanos(RuleCache.MAX_AGE_SECONDS));
        }
        List<String> distinct = new ArrayList<>(new HashSet<>(workers));
        distinct.forEach(cache::rules);
        assertEquals(before + distinct.size(), cache.loads(), "each worker rebuilt once, from memory");
        if (change) {
            assertTrue(distinct.stream().allMatch(w -> cache.rules(w).stream().anyMatch(r -> r.id() == 9)));
        }
    }
}
