package dev.ringfence.samples.webhook;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.sqlite.jdbc4.JDBC4Connection;

/**
 * The webhook service's SQLite database: rules, subject tracker rows and decisions, in WAL mode so
 * phase 2's writes never block a reader (the stats, the rules list, the periodic reload).
 *
 * <p>Two connections, each with the seed's pragmas ({@code journal_mode=WAL},
 * {@code synchronous=NORMAL}, {@code cache_size=10000}, {@code temp_store=MEMORY},
 * {@code mmap_size=268435456}, {@code busy_timeout=5000}) and its prepared statements: the writer
 * (phase 2's batches, rule changes) and the reader. Each is used by one thread at a time (its
 * methods are serialised on it). Opened as sqlite-jdbc's connection class directly: its driver
 * class registers itself with {@code DriverManager}, JVM-wide state the sandbox denies.
 */
public final class WebhookStore implements AutoCloseable {
    private static final String[] SCHEMA = {
        "CREATE TABLE IF NOT EXISTS filter_rules (id INTEGER PRIMARY KEY AUTOINCREMENT, worker_id TEXT,"
                + " field TEXT NOT NULL, pattern TEXT NOT NULL, action TEXT NOT NULL,"
                + " category TEXT NOT NULL DEFAULT 'static', enabled INTEGER NOT NULL DEFAULT 1,"
                + " created_at INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS email_subject_tracker (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                + " subject_hash TEXT NOT NULL, subject TEXT NOT NULL, received_at INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL,"
                + " worker_id TEXT NOT NULL, action TEXT NOT NULL, rule_id INTEGER, subject_hash TEXT,"
                + " decided_at INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS idx_subject_tracker_hash_time ON email_subject_tracker(subject_hash, received_at)",
        "CREATE INDEX IF NOT EXISTS idx_filter_rules_category ON filter_rules(category, enabled)",
        "CREATE INDEX IF NOT EXISTS idx_filter_rules_worker_enabled ON filter_rules(worker_id, enabled)",
        "CREATE UNIQUE INDEX IF NOT EXISTS idx_filter_rules_dynamic_pattern ON filter_rules(pattern)"
                + " WHERE category = 'dynamic'",
        "CREATE INDEX IF NOT EXISTS idx_decisions_action ON decisions(action)",
        "CREATE INDEX IF NOT EXISTS idx_decisions_worker ON decisions(worker_id)",
    };
    private static final String[] PRAGMAS = {
        "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA cache_size=10000",
        "PRAGMA temp_store=MEMORY", "PRAGMA mmap_size=268435456", "PRAGMA busy_timeout=5000",
    };

    private final Connection writer;
    private final Connection reader;
    private final PreparedStatement insertDecision;
    private final PreparedStatement insertTracker;
    private final PreparedStatement countSubjects;
    private final PreparedStatement insertDynamic;
    private final PreparedStatement insertRule;
    private final PreparedStatement deleteRule;
    private final PreparedStatement selectRules;
    private final PreparedStatement selectRecentSubjects;

    private WebhookStore(Connection writer, Connection reader) throws SQLException {
        this.writer = writer;
        this.reader = reader;
        insertDecision = writer.prepareStatement("INSERT INTO decisions (request_id, worker_id, action, rule_id,"
                + " subject_hash, decided_at) VALUES (?, ?, ?, ?, ?, ?)");
        insertTracker = writer.prepareStatement("INSERT INTO email_subject_tracker (subject_hash, subject, received_at)"
                + " VALUES (?, ?, ?)");
        countSubjects = writer.prepareStatement("SELECT COUNT(*) FROM email_subject_tracker"
                + " WHERE subject_hash = ? AND received_at >= ?");
        insertDynamic = writer.prepareStatement("INSERT OR IGNORE INTO filter_rules (worker_id, field, pattern, action,"
                + " category, created_at) VALUES (NULL, 'subject', ?, 'drop', 'dynamic', ?)");
        insertRule = writer.prepareStatement("INSERT INTO filter_rules (worker_id, field, pattern, action, category,"
                + " created_at) VALUES (?, ?, ?, ?, 'static', ?)", Statement.RETURN_GENERATED_KEYS);
        deleteRule = writer.prepareStatement("DELETE FROM filter_rules WHERE id = ?");
        selectRules = reader.prepareStatement("SELECT id, worker_id, field, pattern, action, category FROM filter_rules"
                + " WHERE enabled = 1 ORDER BY id");
        selectRecentSubjects = reader.prepareStatement("SELECT subject_hash, received_at FROM email_subject_tracker"
                + " WHERE received_at >= ? ORDER BY received_at");
    }

    /**
     * Opens (creating when missing) the database file, its schema and indexes.
     *
     * @param file the database file; its folder must exist and be writable (the WAL and shared-memory
     *     files go beside it)
     * @return the store
     * @throws SQLException when SQLite cannot open it
     */
    public static WebhookStore open(Path file) throws SQLException {
        String name = file.toAbsolutePath().toString();
        Connection w = connect(name);
        try (Statement s = w.createStatement()) {
            for (String ddl : SCHEMA) {
                s.execute(ddl);
            }
        }
        return new WebhookStore(w, connect(name));
    }

    private static Connection connect(String file) throws SQLException {
        Connection c = new JDBC4Connection("jdbc:sqlite:" + file, file, new Properties());
        try (Statement s = c.createStatement()) {
            for (String p : PRAGMAS) {
                s.execute(p);
            }
        }
        return c;
    }

    /**
     * Records one batch of phase-1 decisions in one transaction: a decision row each, a tracker row
     * for each with a subject; then, for each new subject hash in the batch, counts its tracker rows
     * within the window (all children's) and stores a dynamic rule when it reaches the threshold or
     * phase 1 saw it do so.
     *
     * @param batch the decisions
     * @param windowMillis how far back repeats count
     * @param threshold repeats within the window that make a dynamic rule
     * @return the subject hashes that became dynamic rules in this batch (possibly made by another child before)
     * @throws SQLException when the batch could not be stored (it is rolled back)
     */
    public synchronized List<Long> record(List<Decision> batch, long windowMillis, int threshold) throws SQLException {
        List<Long> dynamic = new ArrayList<>();
        writer.setAutoCommit(false);
        try {
            Map<Long, Decision> subjects = new LinkedHashMap<>();
            for (Decision d : batch) {
                insertDecision.setString(1, d.requestId());
                insertDecision.setString(2, d.workerId());
                insertDecision.setString(3, d.action());
                if (d.ruleId() > 0) {
                    insertDecision.setLong(4, d.ruleId());
                } else {
                    insertDecision.setNull(4, java.sql.Types.INTEGER);
                }
                insertDecision.setString(5, d.subject() == null ? null : SubjectHash.hex(d.subjectHash()));
                insertDecision.setLong(6, d.atMillis());
                insertDecision.addBatch();
                if (d.subject() != null) {
                    insertTracker.setString(1, SubjectHash.hex(d.subjectHash()));
                    insertTracker.setString(2, d.subject());
                    insertTracker.setLong(3, d.atMillis());
                    insertTracker.addBatch();
                    subjects.merge(d.subjectHash(), d, (a, b) -> a.newPattern() ? a : b);
                }
            }
            insertDecision.executeBatch();
            insertTracker.executeBatch();
            long now = System.currentTimeMillis();
            for (Decision d : subjects.values()) {
                if (d.newPattern() || repeats(d.subjectHash(), now - windowMillis) >= threshold) {
                    insertDynamic.setString(1, SubjectHash.hex(d.subjectHash()));
                    insertDynamic.setLong(2, now);
                    insertDynamic.executeUpdate();
                    dynamic.add(d.subjectHash());
                }
            }
            writer.commit();
            return dynamic;
        } catch (SQLException | RuntimeException e) {
            writer.rollback();
            throw e;
        } finally {
            writer.setAutoCommit(true);
        }
    }

    private long repeats(long hash, long sinceMillis) throws SQLException {
        countSubjects.setString(1, SubjectHash.hex(hash));
        countSubjects.setLong(2, sinceMillis);
        try (ResultSet r = countSubjects.executeQuery()) {
            return r.next() ? r.getLong(1) : 0;
        }
    }

    /**
     * Stores a static rule.
     *
     * @param workerId the worker it applies to, or null for all
     * @param field the field
     * @param pattern the pattern
     * @param action the action
     * @return the rule with its id
     * @throws SQLException when it could not be stored
     */
    public synchronized Rule addRule(String workerId, String field, String pattern, String action) throws SQLException {
        insertRule.setString(1, workerId);
        insertRule.setString(2, field);
        insertRule.setString(3, pattern);
        insertRule.setString(4, action);
        insertRule.setLong(5, System.currentTimeMillis());
        insertRule.executeUpdate();
        try (ResultSet keys = insertRule.getGeneratedKeys()) {
            keys.next();
            return new Rule(keys.getLong(1), workerId, field, pattern, action, false);
        }
    }

    /**
     * @param id a rule's id
     * @return whether it existed
     * @throws SQLException when it could not be deleted
     */
    public synchronized boolean deleteRule(long id) throws SQLException {
        deleteRule.setLong(1, id);
        return deleteRule.executeUpdate() > 0;
    }

    /**
     * @return every enabled rule, static and dynamic, in id order
     * @throws SQLException when they could not be read
     */
    public List<Rule> rules() throws SQLException {
        synchronized (reader) {
            List<Rule> out = new ArrayList<>();
            try (ResultSet r = selectRules.executeQuery()) {
                while (r.next()) {
                    out.add(new Rule(r.getLong(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                            "dynamic".equals(r.getString(6))));
                }
            }
            return out;
        }
    }

    /**
     * @param sinceMillis the window's start (epoch milliseconds)
     * @return the tracker rows since then as (subject hash, received at), oldest first
     * @throws SQLException when they could not be read
     */
    public List<long[]> recentSubjects(long sinceMillis) throws SQLException {
        synchronized (reader) {
            List<long[]> out = new ArrayList<>();
            selectRecentSubjects.setLong(1, sinceMillis);
            try (ResultSet r = selectRecentSubjects.executeQuery()) {
                while (r.next()) {
                    out.add(new long[] {Long.parseUnsignedLong(r.getString(1), 16), r.getLong(2)});
                }
            }
            return out;
        }
    }

    /**
     * The stats of every decision recorded, from the database.
     *
     * @return total, per action and per worker
     * @throws SQLException when they could not be read
     */
    public Stats stats() throws SQLException {
        synchronized (reader) {
            try (Statement s = reader.createStatement()) {
                long total;
                try (ResultSet r = s.executeQuery("SELECT COUNT(*) FROM decisions")) {
                    total = r.next() ? r.getLong(1) : 0;
                }
                return new Stats(total, counts(s, "action"), counts(s, "worker_id"));
            }
        }
    }

    private static Map<String, Long> counts(Statement s, String column) throws SQLException {
        Map<String, Long> out = new LinkedHashMap<>();
        try (ResultSet r = s.executeQuery("SELECT " + column + ", COUNT(*) FROM decisions GROUP BY " + column
                + " ORDER BY " + column)) {
            while (r.next()) {
                out.put(r.getString(1), r.getLong(2));
            }
        }
        return out;
    }

    /**
     * Decisions recorded.
     *
     * @param total all of them
     * @param actions per action
     * @param workers per worker id
     */
    public record Stats(long total, Map<String, Long> actions, Map<String, Long> workers) {
    }

    /** Closes both connections. */
    @Override
    public synchronized void close() throws SQLException {
        synchronized (reader) {
            reader.close();
        }
        writer.close();
    }
}
