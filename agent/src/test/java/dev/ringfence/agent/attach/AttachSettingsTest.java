package dev.ringfence.agent.attach;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The attach settings: every bad key or value is named. */
class AttachSettingsTest {
    private static String error(Map<String, String> settings) {
        return assertThrows(IllegalArgumentException.class, () -> AttachSettings.parse(settings)).getMessage();
    }

    @Test
    void shouldReadABudget() {
        AttachSettings s = AttachSettings.read(null, List.of("budget.p.methods=com.acme.*Plugin#run*, com.acme.Other#go",
                "budget.p.timeout=2s", "budget.p.fuel=1000", "budget.p.instrument=com.acme.plugins.**",
                "budget.p.onExceeded=log"));
        MethodBudget b = s.budgets().get(0);
        assertEquals(2_000_000_000L, b.budgets().wallNanos());
        assertEquals(1000, b.budgets().fuel());
        assertFalse(b.stops());
        assertTrue(b.namesClass("com.acme.FastPlugin"));
        assertFalse(b.namesClass("com.acme.sub.FastPlugin"));
        assertTrue(b.methods().get(0).matches("com.acme.FastPlugin", "runAll"));
        assertFalse(b.methods().get(0).matches("com.acme.FastPlugin", "<init>"));
        assertTrue(b.instruments("com.acme.plugins.Runaway"));
        assertTrue(b.instruments("com.acme.plugins.deep.Runaway"));
        assertFalse(b.instruments("com.acme.pluginsX.Runaway"));
    }

    @Test
    void shouldNameAnUnknownKey() {
        assertTrue(error(Map.of("budget.p.method", "a.B#c")).contains("'budget.p.method'"));
    }

    @Test
    void shouldNameABadValue() {
        String e = error(Map.of("budget.p.methods", "a.B#c", "budget.p.alloc", "lots"));
        assertTrue(e.startsWith("budget.p.alloc=lots"), e);
    }

    @Test
    void shouldRefuseAMethodPatternWithoutHash() {
        String e = error(Map.of("budget.p.methods", "a.B.c", "budget.p.timeout", "1s"));
        assertTrue(e.startsWith("budget.p.methods=a.B.c"), e);
    }

    @Test
    void shouldRefuseABudgetWithoutLimit() {
        assertTrue(error(Map.of("budget.p.methods", "a.B#c")).contains("budget 'p' has no limit"));
    }

    @Test
    void shouldRefuseAnUnknownReaction() {
        String e = error(Map.of("budget.p.methods", "a.B#c", "budget.p.cpu", "1s", "budget.p.onExceeded", "kill"));
        assertTrue(e.contains("budget.p.onExceeded must be throw or log"), e);
    }

    @Test
    void shouldRefuseNoBudgetAtAll() {
        assertTrue(error(Map.of()).startsWith("no budget to attach"));
    }
}
