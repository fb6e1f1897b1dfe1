package dev.ringfence.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.pipeline.BusiestRoute.Load;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BusiestRouteTest {
    private static Load load(String name, long interval, long byVersion, int inflight, int queued) {
        return new Load(name, interval, byVersion, inflight, queued, true, false);
    }

    private static String name(Optional<Load> l) {
        return l.map(Load::route).orElse(null);
    }

    @Test
    void shouldPauseTheRouteThatAllocatedMostInTheLastInterval() {
        assertEquals("b", name(BusiestRoute.toPause(List.of(load("a", 10, 9_000, 8, 8), load("b", 500, 600, 1, 0),
                load("c", 0, 0, 0, 0)))));
    }

    @Test
    void shouldBreakAllocationTiesByRequestsRunningAndQueuedThenName() {
        assertEquals("b", name(BusiestRoute.toPause(List.of(load("a", 100, 0, 1, 0), load("b", 100, 0, 1, 2)))));
        assertEquals("a", name(BusiestRoute.toPause(List.of(load("b", 100, 0, 1, 0), load("a", 100, 0, 1, 0)))));
        assertEquals("a", name(BusiestRoute.toPause(List.of(load("a", 0, 0, 2, 0), load("b", 0, 0, 0, 0)))),
                "requests running count when nothing allocated");
    }

    @Test
    void shouldPauseNoRouteThatIsIdleOrPausedAlready() {
        assertTrue(BusiestRoute.toPause(List.of(load("idle", 0, 5_000, 0, 0),
                new Load("paused", 900, 900, 3, 0, true, true))).isEmpty());
    }

    @Test
    void shouldRecycleTheRouteWhoseVersionAllocatedMost() {
        assertEquals("keeper", name(BusiestRoute.toRecycle(List.of(load("busy", 900, 1_000, 4, 4),
                load("keeper", 0, 50_000, 0, 0)))), "a quiet route holding what it allocated earlier ranks first");
    }

    @Test
    void shouldRecycleNoRouteWithoutAVersionOrAllocation() {
        assertTrue(BusiestRoute.toRecycle(List.of(new Load("parked", 0, 9_000, 0, 0, false, true),
                load("nothing", 0, 0, 3, 0))).isEmpty());
    }
}
