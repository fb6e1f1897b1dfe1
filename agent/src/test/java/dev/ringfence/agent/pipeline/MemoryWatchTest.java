package dev.ringfence.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.loader.UnloadWatch;
import dev.ringfence.samples.Hello;
import dev.ringfence.samples.Hoard;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The memory watch's states and actions, on real routes, with the heap's readings made up. */
class MemoryWatchTest {
    private static final long MB = 1 << 20;

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private final UnloadWatch unloads = new UnloadWatch(Duration.ofMinutes(10), 0);
    private final EventLog eventLog = new EventLog(new PrintStream(logged, true, StandardCharsets.UTF_8));
    private final RouteTable routes = new RouteTable(new RouteRuntime(new MeteredExecutor("memory-test", 20_000_000L, 0),
            unloads, null, eventLog, HandlerLog.events(eventLog), System::nanoTime));
    private final FakeHeap heap = new FakeHeap();

    /** A heap of 1000 MB: soft limit 800 MB, hard 950 MB, admitting again under 750 MB. */
    private static final class FakeHeap implements HeapGauge {
        long live;
        long used;
        /** What each full collection leaves live, in turn; when empty, a collection frees nothing. */
        final ArrayDeque<Long> afterCollections = new ArrayDeque<>();
        int collections;

        @Override
        public Reading read() {
            return new Reading(live * MB, Math.max(used, live) * MB, 1000 * MB, 1000 * MB);
        }

        @Override
        public void collect() {
            collections++;
            Long next = afterCollections.poll();
            if (next != null) {
                live = next;
                used = next;
            }
        }
    }

    @AfterEach
    void close() {
        routes.closeAll();
        unloads.close();
    }

    private Route route(String name, Class<?> handler) throws Exception {
        Path settings = Files.writeString(tmp.resolve(name + ".properties"), "handler=" + handler.getName() + "\n");
        Path jar = TestJars.jar(tmp.resolve(name + "/handler.jar"), name, handler);
        Route r = routes.getOrAdd(name);
        ReloadReport rep = r.update(settings, List.of(jar), RouteDefaults.NONE);
        assertTrue(rep.ok(), rep.message());
        return r;
    }

    private MemoryWatch watch() {
        return new MemoryWatch(routes, MemoryLimits.DEFAULT, heap, eventLog);
    }

    private MemoryWatch tick(MemoryWatch w, long liveMb) {
        heap.live = liveMb;
        heap.used = liveMb;
        w.tick();
        return w;
    }

    private static InvocationResult call(Route r, int mb) {
        return r.invoke(Request.builder("req").query("mb", Integer.toString(mb)).build());
    }

    private String log() {
        return logged.toString(StandardCharsets.UTF_8);
    }

    private long count(String event) {
        return log().lines().filter(l -> l.contains("\"event\":\"" + event + "\"")).count();
    }

    @Test
    void shouldReportEveryReadingAndActOnNothingUnderTheSoftLimit() throws Exception {
        Route hoard = route("hoard", Hoard.class);
        call(hoard, 1);
        MemoryWatch w = watch();
        tick(w, 500);
        tick(w, 790);
        assertEquals(MemoryWatch.State.NORMAL, w.status().state());
        assertEquals(2, count("memory"));
        assertTrue(log().contains("\"state\":\"NORMAL\",\"heapLiveBytes\":" + 790 * MB), log());
        assertFalse(hoard.pausedForMemory());
        assertEquals(0, heap.collections);
    }

    @Test
    void shouldPauseTheBusiestRouteAboveTheSoftLimitAndRefuseItsNewRequests() throws Exception {
        Route hoard = route("hoard", Hoard.class);
        Route hello = route("hello", Hello.class);
        call(hoard, 2);
        call(hello, 0);
        MemoryWatch w = tick(watch(), 810);
        assertEquals(MemoryWatch.State.SOFT, w.status().state());
        assertTrue(hoard.pausedForMemory());
        assertFalse(hello.pausedForMemory(), "only the busiest route is paused");
        InvocationResult refused = call(hoard, 1);
        assertEquals(Outcome.REJECTED, refused.outcome());
        assertEquals(503, refused.status());
        assertTrue(refused.message().contains("paused for memory pressure"), refused.message());
        assertEquals(5, hoard.retryAfterSeconds(Outcome.REJECTED), "one interval");
        assertEquals(1, hoard.stats().memoryRejections());
        assertEquals(Outcome.OK, call(hello, 0).outcome());
        assertEquals(1, count("memory-soft"));
        assertTrue(log().contains("\"event\":\"memory-paused\",\"route\":\"hoard\",\"reason\":\"busiest\""), log());
    }

    @Test
    void shouldAdmitAgainOnlyOnceWellUnderTheSoftLimit() throws Exception {
        Route hoard = route("hoard", Hoard.class);
        call(hoard, 1);
        MemoryWatch w = tick(watch(), 810);
        tick(w, 780);
        assertTrue(hoard.pausedForMemory(), "under the soft limit but within 5 % of the heap of it");
        assertEquals(MemoryWatch.State.SOFT, w.status().state());
        tick(w, 740);
        assertFalse(hoard.pausedForMemory());
        assertEquals(MemoryWatch.State.NORMAL, w.status().state());
        assertTrue(log().contains("\"event\":\"memory-normal\",\"from\":\"SOFT\""), log());
        assertTrue(log().contains("\"resumed\":[\"hoard\"]"), log());
        assertEquals(Outcome.OK, call(hoard, 1).outcome());
    }

    @Test
    void shouldNotPauseARouteThatNeitherAllocatesNorRuns() throws Exception {
        Route hoard = route("hoard", Hoard.class);
        call(hoard, 1);
        MemoryWatch w = tick(watch(), 500);
        tick(w, 810); // nothing ran since the previous reading
        assertEquals(MemoryWatch.State.SOFT, w.status().state());
        assertFalse(hoard.pausedForMemory());
    }

    @Test
    void shouldPauseTheNextBusiestWhenTheHeapKeepsGrowing() throws Exception {
        Route a = route("a", Hoard.class);
        Route b = route("b", Hoard.class);
        call(a, 4);
        call(b, 1);
        MemoryWatch w = tick(watch(), 810);
        assertTrue(a.pausedForMemory());
        assertFalse(b.pausedForMemory());
        call(b, 1);
        tick(w, 812);
        assertFalse(b.pausedForMemory(), "grew by less than 1 % of the heap");
        call(b, 1);
        tick(w, 840);
        assertTrue(b.pausedForMemory());
        assertTrue(log().contains("\"route\":\"b\",\"reason\":\"still growing\""), log());
    }

    @Test
    void shouldNotRecycleWhenAFullCollectionBringsTheHeapUnderTheHardLimit() throws Exception {
        Route hoard = route("hoard", Hoard.class);
        call(hoard, 1);
        heap.afterCollections.add(700L);
        MemoryWatch w = tick(watch(), 960);
        assertEquals(1, heap.collections);
        assertEquals(MemoryWatch.State.NORMAL, w.status().state());
        assertFalse(hoard.parked());
        assertEquals(0, hoard.stats().recycles());
        assertEquals(0, count("memory-hard"));
    }

    @Test
    void shouldTreatInstantaneousUseAsGarbageUntilTheHeapIsUnderPressure() throws Exception {
        route("hoard", Hoard.class);
        MemoryWatch w = watch();
        heap.live = 500;
        heap.used = 990;
        w.tick();
        assertEquals(0, heap.collections, "young garbage in a normal heap is no reason for a full GC");
        heap.live = 810;
        w.tick();
        assertEquals(0, heap.collections);
        heap.used = 990;
        w.tick();
        assertEquals(1, heap.collections, "under pressure, a heap used past the hard limit is checked");
    }

    @Test
    void shouldRecycleTheRouteWhoseVersionAllocatedMostPastTheHardLimit() throws Exception {
        Route hoard = route("hoard", Hoard.class);
        Route hello = route("hello", Hello.class);
        assertEquals("kept 2 MB", call(hoard, 2).response().bodyAsString());
        String version = hoard.version();
        for (int i = 0; i < 5; i++) {
            call(hello, 0);
        }
        heap.afterCollections.add(960L); // the confirming collection frees nothing
        heap.afterCollections.add(600L); // the one after the recycle frees what the version held
        MemoryWatch w = tick(watch(), 960);
        assertEquals(2, heap.collections);
        assertTrue(hoard.parked(), "its version was retired");
        assertNull(hoard.version());
        assertFalse(hello.parked());
        assertEquals(1, hoard.stats().recycles());
        assertEquals(MemoryWatch.State.NORMAL, w.status().state());
        assertTrue(log().contains("\"event\":\"memory-hard\",\"from\":\"NORMAL\""), log());
        Matcher m = Pattern.compile("\"event\":\"recycled\",\"route\":\"hoard\",\"version\":\"" + version
                + "\",\"allocatedByVersionBytes\":(\\d+),\"inflight\":0,\"heapLiveBeforeBytes\":" + 960 * MB
                + ",\"heapLiveAfterBytes\":" + 600 * MB).matcher(log());
        assertTrue(m.find(), log());
        assertTrue(Long.parseLong(m.group(1)) >= 2 * MB);
        assertTrue(log().contains("\"event\":\"memory-normal\",\"from\":\"HARD\""), log());
        assertEquals("kept 1 MB", call(hoard, 1).response().bodyAsString(), "loaded again, with an empty static list");
        assertEquals(1, hoard.stats().coldStarts());
    }

    @Test
    void shouldKeepARecycledRoutePausedWhileTheHeapStaysOverTheSoftLimit() throws Exception {
        Route hoard = route("hoard", Hoard.class);
        call(hoard, 1);
        heap.afterCollections.addAll(List.of(960L, 850L));
        MemoryWatch w = tick(watch(), 960);
        assertTrue(hoard.parked());
        assertEquals(MemoryWatch.State.SOFT, w.status().state());
        InvocationResult refused = call(hoard, 1);
        assertEquals(Outcome.REJECTED, refused.outcome());
        assertTrue(refused.message().contains("was recycled for memory pressure"), refused.message());
        assertTrue(hoard.parked(), "a refused request does not load it again");
    }

    @Test
    void shouldOnlyReportWhenBothLimitsAreOff() throws Exception {
        Route hoard = route("hoard", Hoard.class);
        call(hoard, 1);
        MemoryWatch w = new MemoryWatch(routes, MemoryLimits.of(Map.of("memory.soft", "off", "memory.hard", "off"), ""),
                heap, eventLog);
        tick(w, 999);
        assertEquals(MemoryWatch.State.NORMAL, w.status().state());
        assertFalse(hoard.pausedForMemory());
        assertEquals(0, heap.collections);
        assertEquals(1, count("memory"));
        assertTrue(log().contains("\"softLimitBytes\":null,\"hardLimitBytes\":null"), log());
    }
}
