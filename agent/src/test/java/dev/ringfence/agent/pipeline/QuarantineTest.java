package dev.ringfence.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Outcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class QuarantineTest {
    private static final long S = 1_000_000_000L;

    private final ManualClock clock = new ManualClock(123 * S);
    private final AtomicReference<RouteSettings> settings = new AtomicReference<>(settings());
    private final List<String> heard = new ArrayList<>();
    private final Quarantine quarantine = new Quarantine("orders", clock, settings::get, new Quarantine.Listener() {
        @Override
        public void quarantined(Quarantine.Status status, long releaseAfterNanos) {
            heard.add("quarantined " + status.version() + " by " + status.requestId() + " for " + releaseAfterNanos);
        }

        @Override
        public void lifted(Quarantine.Status status, String why) {
            heard.add("lifted " + status.version() + ": " + why);
        }
    });

    private static RouteSettings settings(String... keysAndValues) {
        Map<String, String> m = new HashMap<>(Map.of("handler", "a.B"));
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return RouteSettings.of(m, null, RouteDefaults.NONE);
    }

    private static InvocationResult abandonedOn(String version, String requestId) {
        return new InvocationResult(requestId, Outcome.TIMEOUT, null, "the deadline of 1000 ms passed", S, 0, 0, 0,
                version, true);
    }

    @Test
    void shouldQuarantineAVersionAtItsFirstAbandonedThreadByDefault() {
        quarantine.track("v1");

        assertTrue(quarantine.abandoned(abandonedOn("v1", "stuck-1")));

        InvocationResult r = quarantine.refusal("next");
        assertNotNull(r);
        assertEquals(Outcome.CIRCUIT_OPEN, r.outcome());
        assertEquals("next", r.requestId());
        assertEquals("v1", r.version());
        assertNull(r.response());
        assertTrue(r.message().contains("version v1 of route orders is quarantined"), r.message());
        assertTrue(r.message().contains("request stuck-1 ended TIMEOUT"), r.message());
        Quarantine.Status st = quarantine.status();
        assertEquals("stuck-1", st.requestId());
        assertEquals(Outcome.TIMEOUT, st.outcome());
        assertNull(st.releaseAt(), "until a new version by default");
        assertEquals(1, quarantine.quarantines());
        assertEquals(List.of("quarantined v1 by stuck-1 for 0"), heard);
    }

    @Test
    void shouldRefuseNothingBeforeAQuarantine() {
        quarantine.track("v1");

        assertNull(quarantine.refusal("a"));
        assertNull(quarantine.status());
        assertFalse(quarantine.quarantined());
        assertEquals(-1, quarantine.retryAfterNanos());
    }

    @Test
    void shouldNotCountAnAttemptWhoseThreadStopped() {
        quarantine.track("v1");
        InvocationResult stopped = new InvocationResult("a", Outcome.TIMEOUT, null, "m", S, 0, 0, 0, "v1", false);

        assertFalse(quarantine.abandoned(stopped));
        assertFalse(quarantine.quarantined());
    }

    @Test
    void shouldWaitForQuarantineAfterAbandonedThreads() {
        settings.set(settings("quarantine.after", "3"));
        quarantine.track("v1");

        assertFalse(quarantine.abandoned(abandonedOn("v1", "a")));
        assertFalse(quarantine.abandoned(abandonedOn("v1", "b")));
        assertNull(quarantine.refusal("x"));
        assertTrue(quarantine.abandoned(abandonedOn("v1", "c")));

        assertEquals(3, quarantine.status().abandonedThreads());
        assertTrue(quarantine.status().reason().startsWith("3 handler threads of version v1 were abandoned"),
                quarantine.status().reason());
    }

    @Test
    void shouldNeverQuarantineWhenAfterIsZero() {
        settings.set(settings("quarantine.after", "0"));
        quarantine.track("v1");

        for (int i = 0; i < 5; i++) {
            assertFalse(quarantine.abandoned(abandonedOn("v1", "r" + i)));
        }
        assertNull(quarantine.refusal("x"));
        assertEquals(0, quarantine.quarantines());
    }

    @Test
    void shouldIgnoreAbandonedThreadsOfAnOlderVersion() {
        quarantine.track("v1");
        quarantine.track("v2");

        assertFalse(quarantine.abandoned(abandonedOn("v1", "late")));
        assertNull(quarantine.refusal("x"));
    }

    @Test
    void shouldLiftTheQuarantineWhenANewVersionLoads() {
        quarantine.track("v1");
        quarantine.abandoned(abandonedOn("v1", "stuck-1"));

        quarantine.track("v2");

        assertNull(quarantine.refusal("x"));
        assertEquals("lifted v1: version v2 loaded", heard.get(1));
        assertTrue(quarantine.abandoned(abandonedOn("v2", "stuck-2")), "the new version is counted afresh");
        assertEquals("v2", quarantine.status().version());
        assertEquals(2, quarantine.quarantines());
    }

    @Test
    void shouldKeepTheQuarantineWhenTheSameVersionLoadsAgain() {
        quarantine.track("v1");
        quarantine.abandoned(abandonedOn("v1", "stuck-1"));

        quarantine.track("v1"); // woken from scale-to-zero, or reloaded with the same content
        settings.set(settings("timeout", "5s")); // other settings changed

        assertNotNull(quarantine.refusal("x"));
        assertEquals(1, heard.size(), heard.toString());
    }

    @Test
    void shouldLiftTheQuarantineWhenQuarantineForHasPassed() {
        settings.set(settings("quarantine.for", "60s"));
        quarantine.track("v1");
        quarantine.abandoned(abandonedOn("v1", "stuck-1"));
        assertEquals(quarantine.status().since().plusSeconds(60), quarantine.status().releaseAt());

        clock.advance(59 * S);
        assertNotNull(quarantine.refusal("x"));
        assertEquals(S, quarantine.retryAfterNanos());
        clock.advance(S);

        assertNull(quarantine.refusal("y"));
        assertEquals("lifted v1: quarantine.for of 60000 ms passed", heard.get(1));
        assertTrue(quarantine.abandoned(abandonedOn("v1", "stuck-2")), "it can be quarantined again");
        assertEquals(2, quarantine.quarantines());
    }

    @Test
    void shouldFollowTheRoutesCurrentQuarantineFor() {
        quarantine.track("v1");
        quarantine.abandoned(abandonedOn("v1", "stuck-1"));
        clock.advance(10 * S);

        settings.set(settings("quarantine.for", "5s"));

        assertFalse(quarantine.quarantined(), "a shorter quarantine.for that has passed lifts it");
    }

    @Test
    void shouldLiftTheQuarantineWhenSettingsTurnItOff() {
        quarantine.track("v1");
        quarantine.abandoned(abandonedOn("v1", "stuck-1"));

        settings.set(settings("quarantine.after", "0"));

        assertNull(quarantine.refusal("x"));
        assertEquals("lifted v1: quarantine.after is 0", heard.get(1));
    }

    @Test
    void shouldAnswerWithTheFallbackWhileQuarantined() {
        settings.set(settings("fallback.status", "200", "fallback.body", "cached"));
        quarantine.track("v1");
        quarantine.abandoned(abandonedOn("v1", "stuck-1"));

        InvocationResult r = quarantine.refusal("x");

        assertEquals(Outcome.CIRCUIT_OPEN, r.outcome());
        assertEquals(200, r.status());
        assertEquals("cached", r.response().bodyAsString());
    }

    @Test
    void shouldSuggestRetryingAfterTheBreakersOpenForWhenItLastsUntilANewVersion() {
        settings.set(settings("breaker.openFor", "7s"));
        quarantine.track("v1");
        quarantine.abandoned(abandonedOn("v1", "stuck-1"));

        assertEquals(7 * S, quarantine.retryAfterNanos());
    }
}
