package dev.ringfence.agent.pipeline;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Which route memory pressure acts on. Two questions, two answers:
 *
 * <ul>
 *   <li><b>Whom to pause</b> (soft limit): the route adding most to the heap now — the most bytes
 *       allocated by its invocations during the last interval; ties go to the most requests
 *       running and queued, then to the name. A route that allocated nothing and has nothing
 *       running is never paused: refusing it frees nothing. Allocation is the cause of heap growth
 *       that a route controls; in-flight counts alone would blame a route of slow, small
 *       requests.</li>
 *   <li><b>Whom to recycle</b> (hard limit): the route whose current version has allocated the
 *       most since it was loaded; ties as above. What recycling frees is what that version keeps
 *       reachable (its static fields, its caches), which is at most what it allocated; a route
 *       that filled a static map an hour ago and is quiet now still ranks first, where the last
 *       interval's allocation would pick an innocent busy route. A route whose version allocated
 *       nothing, or with no version loaded, is never recycled.</li>
 * </ul>
 *
 * <p>Pure functions over {@link Load} snapshots; thread-safe.
 */
public final class BusiestRoute {
    private BusiestRoute() {
    }

    /**
     * What one route did, as the memory watch saw it at one reading.
     *
     * @param route the route's name
     * @param allocatedInInterval bytes its invocations allocated since the previous reading
     * @param allocatedByVersion bytes allocated since its current version was loaded (to within one interval)
     * @param inflight requests running
     * @param queued requests waiting for a slot
     * @param loaded whether a version is loaded (not parked or recycled)
     * @param paused whether it is paused for memory already
     */
    public record Load(String route, long allocatedInInterval, long allocatedByVersion, int inflight, int queued,
            boolean loaded, boolean paused) {
        int waiting() {
            return inflight + queued;
        }
    }

    /**
     * @param loads every route's load
     * @return the route to pause: not paused yet, allocating or busy, and first by allocation in
     *     the last interval
     */
    public static Optional<Load> toPause(List<Load> loads) {
        return loads.stream().filter(l -> !l.paused() && (l.allocatedInInterval() > 0 || l.waiting() > 0))
                .min(Comparator.comparingLong(Load::allocatedInInterval).reversed()
                        .thenComparing(Comparator.comparingInt(Load::waiting).reversed())
                        .thenComparing(Load::route));
    }

    /**
     * @param loads every route's load
     * @return the route to recycle: loaded, and first by what its version allocated
     */
    public static Optional<Load> toRecycle(List<Load> loads) {
        return loads.stream().filter(l -> l.loaded() && l.allocatedByVersion() > 0)
                .min(Comparator.comparingLong(Load::allocatedByVersion).reversed()
                        .thenComparing(Comparator.comparingLong(Load::allocatedInInterval).reversed())
                        .thenComparing(Comparator.comparingInt(Load::waiting).reversed())
                        .thenComparing(Load::route));
    }
}
