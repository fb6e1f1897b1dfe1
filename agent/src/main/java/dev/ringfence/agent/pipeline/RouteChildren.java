package dev.ringfence.agent.pipeline;

import dev.ringfence.agent.process.ChildMemory;
import dev.ringfence.agent.runtimeapi.ProvidedRuntime;
import dev.ringfence.loader.HandlerVersions;
import java.util.List;

/**
 * A route's child processes as {@code /status}, {@code /metrics} and the benchmarks see them: the
 * current version's children on the process tier (an {@code isolation=process} route's pool, or an
 * {@code auto} version that moved), or a {@code runtime=provided} route's bootstraps. Every reading
 * takes a lease on the current version for its duration, so it never sees a child being closed
 * under it; between two readings the version may change. Thread-safe.
 */
public final class RouteChildren {
    private final HandlerVersions versions;

    RouteChildren(HandlerVersions versions) {
        this.versions = versions;
    }

    /** @return the pid of the first child (a provided route's first bootstrap), or -1 when none runs */
    public long pid() {
        ProvidedRuntime p = providedRuntime();
        if (p != null) {
            List<Long> pids = p.pids();
            return pids.isEmpty() ? -1 : pids.get(0);
        }
        ProcessTier t = processTier();
        return t == null ? -1 : t.pid();
    }

    /** @return children started for the current version (replacements included; a provided route's bootstraps), 0 in-process */
    public long started() {
        ProvidedRuntime p = providedRuntime();
        if (p != null) {
            return p.bootstrapsStarted();
        }
        ProcessTier t = processTier();
        return t == null ? 0 : t.childrenStarted();
    }

    /** @return the children's pids (-1 for one being replaced); empty when none runs */
    public List<Long> pids() {
        ProcessTier t = processTier();
        return t == null ? List.of() : t.pids();
    }

    /** @return each child's requests running or waiting, in the order of {@link #pids()}; empty when none runs */
    public List<Integer> loads() {
        ProcessTier t = processTier();
        return t == null ? List.of() : t.loads();
    }

    /** @return deferred work the current version's children have accepted and not yet ended (their last reports); 0 in-process */
    public long deferred() {
        ProcessTier t = processTier();
        return t == null ? 0 : t.deferredInChildren();
    }

    /** @return children ready to serve now */
    public int ready() {
        ProcessTier t = processTier();
        return t == null ? 0 : t.ready();
    }

    /** @return requests running in or waiting for the children now */
    public int busy() {
        ProcessTier t = processTier();
        return t == null ? 0 : t.busy();
    }

    /** @return children of the current version that came warm from the host's spare */
    public long fromSpare() {
        ProcessTier t = processTier();
        return t == null ? 0 : t.childrenFromSpare();
    }

    /**
     * @return the start-up cache of the current version's children ({@code used}, {@code training},
     *     {@code ready}, {@code off: why}), or null in-process
     */
    public String startupCache() {
        ProcessTier t = processTier();
        return t == null ? null : t.startupCache();
    }

    /**
     * @return the first child's heap, direct memory and resident size, its envelope's limits, and
     *     the children recycled (soft limit) and killed (hard limit) so far; null when none runs
     */
    public Memory memory() {
        ProcessTier t = processTier();
        if (t == null) {
            return null;
        }
        long[] rk = t.residentRecyclesAndKills();
        return new Memory(t.memory(), t.residentWatch().softBytes(), t.residentWatch().envelopeBytes(), rk[0], rk[1]);
    }

    /**
     * A process route's child memory as {@code /status} shows it.
     *
     * @param memory the child's last report and resident size
     * @param softLimitBytes past this resident size a child is drained and recycled
     * @param hardLimitBytes past this (the envelope) a child is killed
     * @param recycles children recycled past the soft limit
     * @param kills children killed past the hard limit
     */
    public record Memory(ChildMemory memory, long softLimitBytes, long hardLimitBytes, long recycles, long kills) {
    }

    /** @return the current version's process tier (an {@code auto} version's once it moved), or null */
    ProcessTier processTier() {
        if (versions.current() == null) {
            return null;
        }
        try (HandlerVersions.Lease lease = versions.acquire()) {
            Object p = lease.prepared();
            return p instanceof ProcessTier ? (ProcessTier) p : p instanceof AutoTier ? ((AutoTier) p).child() : null;
        } catch (IllegalStateException e) {
            return null; // parked or removed in between
        }
    }

    private ProvidedRuntime providedRuntime() {
        if (versions.current() == null) {
            return null;
        }
        try (HandlerVersions.Lease lease = versions.acquire()) {
            return lease.prepared() instanceof ProvidedRuntime ? (ProvidedRuntime) lease.prepared() : null;
        } catch (IllegalStateException e) {
            return null; // parked or removed in between
        }
    }
}
