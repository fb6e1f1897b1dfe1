package dev.ringfence.agent.jmx;

import dev.ringfence.agent.pipeline.Quarantine;
import dev.ringfence.agent.pipeline.ReloadReport;
import dev.ringfence.agent.pipeline.Route;
import dev.ringfence.agent.pipeline.RouteSettings;
import dev.ringfence.agent.pipeline.RouteStats;
import dev.ringfence.agent.pipeline.RouteTable;
import dev.ringfence.api.Outcome;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.function.Supplier;
import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

/**
 * Registers the runtime's MXBeans in the platform MBean server and unregisters them. A bean
 * already registered under the same name (a previous runtime in this JVM) is replaced.
 *
 * <p>Thread-safe; never throws: a failure to register is returned as {@code false} (JMX is an
 * extra, serving goes on without it).
 */
public final class RouteMBeans {
    /** The JMX domain. */
    public static final String DOMAIN = "dev.ringfence";

    private final MBeanServer server;

    /** Uses the platform MBean server. */
    public RouteMBeans() {
        this(ManagementFactory.getPlatformMBeanServer());
    }

    /** @param server the MBean server to register in */
    public RouteMBeans(MBeanServer server) {
        this.server = server;
    }

    /**
     * @param route a route's name
     * @return {@code dev.ringfence:type=Route,name=<route>}
     */
    public static ObjectName routeName(String route) {
        return name("type=Route,name=" + ObjectName.quote(route));
    }

    /** @return {@code dev.ringfence:type=Server} */
    public static ObjectName serverName() {
        return name("type=Server");
    }

    private static ObjectName name(String properties) {
        try {
            return new ObjectName(DOMAIN + ":" + properties);
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /**
     * @param route the route
     * @return whether its bean is registered
     */
    public boolean register(Route route) {
        return register(new RouteBean(route), routeName(route.name()));
    }

    /**
     * @param route a route's name
     */
    public void unregister(String route) {
        unregister(routeName(route));
    }

    /**
     * @param routes the routes
     * @param url where the runtime listens
     * @return whether the server bean is registered
     */
    public boolean registerServer(RouteTable routes, Supplier<String> url) {
        return register(new ServerBean(routes, url), serverName());
    }

    /** Unregisters the server bean. */
    public void unregisterServer() {
        unregister(serverName());
    }

    private boolean register(Object bean, ObjectName name) {
        try {
            try {
                server.registerMBean(bean, name);
            } catch (InstanceAlreadyExistsException e) {
                unregister(name);
                server.registerMBean(bean, name);
            }
            return true;
        } catch (JMException | RuntimeException e) {
            return false;
        }
    }

    private void unregister(ObjectName name) {
        try {
            server.unregisterMBean(name);
        } catch (InstanceNotFoundException e) {
            // not registered: nothing to do
        } catch (JMException | RuntimeException e) {
            // JMX is an extra: serving goes on without it
        }
    }

    /** A route's figures, read live. */
    private static final class RouteBean implements RouteMXBean {
        private final Route route;

        RouteBean(Route route) {
            this.route = route;
        }

        @Override
        public String getName() {
            return route.name();
        }

        @Override
        public String getHandler() {
            RouteSettings s = route.settings();
            return s == null ? null : s.handler();
        }

        @Override
        public String getVersion() {
            return route.version();
        }

        @Override
        public String getTier() {
            return route.tier();
        }

        @Override
        public String getRunningIn() {
            return route.runningIn();
        }

        @Override
        public long getEscalations() {
            return route.escalations().total();
        }

        @Override
        public int getPoolSize() {
            return route.poolSize();
        }

        @Override
        public int getInflight() {
            return route.inflight();
        }

        @Override
        public int getQueued() {
            return route.queued();
        }

        @Override
        public String getBreakerState() {
            return route.breakerState().name();
        }

        @Override
        public boolean isParked() {
            return route.parked();
        }

        @Override
        public long getRequests() {
            return route.stats().requests();
        }

        @Override
        public long getRequestsOk() {
            return route.stats().requests(Outcome.OK);
        }

        @Override
        public long getRejections() {
            return route.stats().requests(Outcome.REJECTED);
        }

        @Override
        public long getTimeouts() {
            return route.stats().requests(Outcome.TIMEOUT);
        }

        @Override
        public double getP50Millis() {
            return route.stats().percentiles().p50Nanos() / 1e6;
        }

        @Override
        public double getP95Millis() {
            return route.stats().percentiles().p95Nanos() / 1e6;
        }

        @Override
        public double getP99Millis() {
            return route.stats().percentiles().p99Nanos() / 1e6;
        }

        @Override
        public long getRetries() {
            return route.stats().retries();
        }

        @Override
        public long getReloads() {
            return route.stats().reloads();
        }

        @Override
        public long getReloadFailures() {
            return route.stats().reloadFailures();
        }

        @Override
        public long getColdStarts() {
            return route.stats().coldStarts();
        }

        @Override
        public long getAbandonedThreads() {
            RouteStats s = route.stats();
            return s.abandoned();
        }

        @Override
        public boolean isQuarantined() {
            return route.quarantine().quarantined();
        }

        @Override
        public String getQuarantinedSince() {
            Quarantine.Status q = route.quarantine().status();
            return q == null ? null : q.since().toString();
        }

        @Override
        public String getQuarantineReason() {
            Quarantine.Status q = route.quarantine().status();
            return q == null ? null : q.reason();
        }

        @Override
        public long getQuarantines() {
            return route.quarantine().quarantines();
        }

        @Override
        public long getPoolResizes() {
            return route.stats().poolResizes();
        }

        @Override
        public boolean isPausedForMemory() {
            return route.pausedForMemory();
        }

        @Override
        public long getMemoryRejections() {
            return route.stats().memoryRejections();
        }

        @Override
        public long getRecycles() {
            return route.stats().recycles();
        }

        @Override
        public double getCpuShare() {
            return route.shareQuota() == null ? 0 : route.shareQuota().cores();
        }

        @Override
        public long getAllocRate() {
            return route.shareQuota() == null ? 0 : route.shareQuota().bytesPerSecond();
        }

        @Override
        public double getSharePausedMillis() {
            return route.shareQuota() == null ? 0 : route.shareQuota().pausedNanos() / 1e6;
        }

        @Override
        public String getLastReload() {
            ReloadReport r = route.lastReload();
            return r == null ? null : (r.ok() ? "ok: " : "failed: ") + r.message();
        }
    }

    /** The runtime's figures, read live. */
    private static final class ServerBean implements ServerMXBean {
        private final RouteTable routes;
        private final Supplier<String> url;

        ServerBean(RouteTable routes, Supplier<String> url) {
            this.routes = routes;
            this.url = url;
        }

        @Override
        public String getUrl() {
            return url.get();
        }

        @Override
        public List<String> getRoutes() {
            return routes.all().stream().map(Route::name).toList();
        }

        @Override
        public long getLoadersAlive() {
            long alive = routes.runtime().watch().watching();
            for (Route r : routes.all()) {
                alive += (r.version() == null ? 0 : 1) + r.draining();
            }
            return alive;
        }

        @Override
        public long getLoadersUnloaded() {
            return routes.runtime().watch().unloaded();
        }

        @Override
        public long getLoadersLeaked() {
            return routes.runtime().watch().leaked();
        }

        @Override
        public long getAbandonedThreads() {
            return routes.runtime().abandonedThreads();
        }
    }
}
