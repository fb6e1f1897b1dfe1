package dev.ringfence.agent.jmx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.agent.pipeline.HandlerLog;
import dev.ringfence.agent.pipeline.Route;
import dev.ringfence.agent.pipeline.RouteDefaults;
import dev.ringfence.agent.pipeline.RouteRuntime;
import dev.ringfence.agent.pipeline.RouteTable;
import dev.ringfence.agent.pipeline.TestJars;
import dev.ringfence.api.Request;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.loader.UnloadWatch;
import dev.ringfence.samples.Hello;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RouteMBeansTest {
    @TempDir
    Path tmp;

    private final UnloadWatch watch = new UnloadWatch(Duration.ofMinutes(10), 0);
    private final RouteTable routes = new RouteTable(new RouteRuntime(new MeteredExecutor("jmx-test", 20_000_000L, 0),
            watch, null, EventLog.NONE, HandlerLog.text(System.err), System::nanoTime));
    private final MBeanServer server = MBeanServerFactory.newMBeanServer();
    private final RouteMBeans beans = new RouteMBeans(server);

    @AfterEach
    void close() {
        routes.closeAll();
        watch.close();
    }

    private Route hello() throws Exception {
        Route r = routes.getOrAdd("hello");
        Path settings = Files.writeString(tmp.resolve("route.properties"), "handler=dev.ringfence.samples.Hello\n");
        assertTrue(r.update(settings, List.of(TestJars.jar(tmp.resolve("h.jar"), "v1", Hello.class)), RouteDefaults.NONE).ok());
        return r;
    }

    @Test
    void shouldExposeARoutesLiveFigures() throws Exception {
        Route r = hello();
        assertTrue(beans.register(r));
        r.invoke(Request.builder("1").build());
        r.invoke(Request.builder("2").build());
        var name = RouteMBeans.routeName("hello");
        assertEquals(2L, server.getAttribute(name, "Requests"));
        assertEquals(2L, server.getAttribute(name, "RequestsOk"));
        assertEquals(r.version(), server.getAttribute(name, "Version"));
        assertEquals("CLOSED", server.getAttribute(name, "BreakerState"));
        assertEquals("auto", server.getAttribute(name, "Tier"));
        assertEquals("in-process", server.getAttribute(name, "RunningIn"));
        assertEquals(0L, server.getAttribute(name, "Escalations"));
        assertEquals(2, server.getAttribute(name, "PoolSize"), "a new pool starts at pool.min");
        assertEquals(0L, server.getAttribute(name, "PoolResizes"));
        assertEquals(false, server.getAttribute(name, "PausedForMemory"));
        assertEquals(0.0, server.getAttribute(name, "CpuShare"));
        assertEquals(0L, server.getAttribute(name, "AllocRate"));
        assertTrue(((String) server.getAttribute(name, "LastReload")).startsWith("ok: loaded version"));
        assertTrue((Double) server.getAttribute(name, "P99Millis") > 0);
    }

    @Test
    void shouldReplaceABeanOfTheSameNameAndUnregister() throws Exception {
        Route r = hello();
        assertTrue(beans.register(r));
        assertTrue(beans.register(r), "a second runtime's bean replaces the first");
        beans.unregister("hello");
        assertFalse(server.isRegistered(RouteMBeans.routeName("hello")));
        beans.unregister("hello"); // idempotent
    }

    @Test
    void shouldExposeTheServer() throws Exception {
        hello();
        assertTrue(beans.registerServer(routes, () -> "http://127.0.0.1:1"));
        assertEquals(List.of("hello"), List.of((String[]) server.getAttribute(RouteMBeans.serverName(), "Routes")));
        assertEquals(1L, server.getAttribute(RouteMBeans.serverName(), "LoadersAlive"));
        assertEquals("http://127.0.0.1:1", server.getAttribute(RouteMBeans.serverName(), "Url"));
        beans.unregisterServer();
        assertFalse(server.isRegistered(RouteMBeans.serverName()));
    }
}
