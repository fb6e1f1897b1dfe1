package dev.ringfence.agent.jmx;

import java.util.List;

/** The {@code serve} runtime's own figures. Read-only; every getter reads the live value. */
public interface ServerMXBean {
    /** @return where it listens, {@code http://host:port} */
    String getUrl();

    /** @return the routes served, by name */
    List<String> getRoutes();

    /** @return handler class loaders not yet collected: serving, draining, or retired and awaiting GC */
    long getLoadersAlive();

    /** @return retired loaders proven collected */
    long getLoadersUnloaded();

    /** @return retired loaders still alive after the leak bound */
    long getLoadersLeaked();

    /** @return handler threads abandoned by every route */
    long getAbandonedThreads();
}
