package dev.ringfence.samples.webhook;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The static rules in memory: the rule book (every rule, as loaded from the database or changed
 * through this service) and, per worker id, the rules that apply to it, built once from the book
 * and then served from memory until the book changes or {@value #MAX_AGE_SECONDS} s pass. Phase 1
 * reads only this; the database reload of the book ({@link #replaceAll}) runs in phase 2 when
 * {@link #bookStale()} says so.
 *
 * <p>Thread-safe: lookups read immutable lists through volatile fields and a concurrent map; a
 * change publishes a new book and a new generation, which retires every worker's entry.
 */
public final class RuleCache {
    /** The longest a worker's rules, or the book, are served before they are rebuilt or reloaded. */
    public static final long MAX_AGE_SECONDS = 60;
    private static final long MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(MAX_AGE_SECONDS);
    /** Worker entries kept at most: past it they are all dropped and rebuilt as workers come back. */
    private static final int MAX_WORKERS = 10_000;

    private final LongSupplier clock;
    private final ConcurrentHashMap<String, Entry> byWorker = new ConcurrentHashMap<>();
    private final LongAdder hits = new LongAdder();
    private final LongAdder loads = new LongAdder();
    private volatile Book book;

    private record Book(List<Rule> rules, long generation, long loadedAt) {
    }

    private record Entry(List<Rule> rules, long generation, long builtAt) {
    }

    /**
     * @param rules the rule book as loaded
     * @param clock nanoseconds, as {@link System#nanoTime()}
     */
    public RuleCache(List<Rule> rules, LongSupplier clock) {
        this.clock = clock;
        this.book = new Book(List.copyOf(rules), 0, clock.getAsLong());
    }

    /**
     * The rules that apply to a worker, from memory: its entry when fresh, else rebuilt from the book.
     *
     * @param workerId the worker
     * @return its rules, in the book's order
     */
    public List<Rule> rules(String workerId) {
        Book b = book;
        long now = clock.getAsLong();
        Entry e = byWorker.get(workerId);
        if (e != null && e.generation() == b.generation() && now - e.builtAt() < MAX_AGE_NANOS) {
            hits.increment();
            return e.rules();
        }
        loads.increment();
        List<Rule> mine = new ArrayList<>();
        for (Rule r : b.rules()) {
            if (r.appliesTo(workerId)) {
                mine.add(r);
            }
        }
        List<Rule> rules = List.copyOf(mine);
        if (byWorker.size() >= MAX_WORKERS) {
            byWorker.clear(); // worker ids come from the callers: a bound on what they can make this hold
        }
        byWorker.put(workerId, new Entry(rules, b.generation(), now));
        return rules;
    }

    /** @param rules the book as the database has it now (phase 2's reload) */
    public synchronized void replaceAll(List<Rule> rules) {
        book = new Book(List.copyOf(rules), book.generation() + 1, clock.getAsLong());
    }

    /** @param rule a rule just stored */
    public synchronized void added(Rule rule) {
        List<Rule> rules = new ArrayList<>(book.rules());
        rules.add(rule);
        book = new Book(List.copyOf(rules), book.generation() + 1, book.loadedAt());
    }

    /** @param id a rule just deleted */
    public synchronized void removed(long id) {
        List<Rule> rules = new ArrayList<>(book.rules());
        rules.removeIf(r -> r.id() == id);
        book = new Book(List.copyOf(rules), book.generation() + 1, book.loadedAt());
    }

    /** @return whether the book was loaded from the database more than {@value #MAX_AGE_SECONDS} s ago */
    public boolean bookStale() {
        return clock.getAsLong() - book.loadedAt() >= MAX_AGE_NANOS;
    }

    /** @return lookups served from a worker's entry */
    public long hits() {
        return hits.sum();
    }

    /** @return lookups that built a worker's entry from the book */
    public long loads() {
        return loads.sum();
    }
}
