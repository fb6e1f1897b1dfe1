/**
 * Hostile sample handlers, one per capability the deny policy withholds and per way around its
 * gate: exit (directly, by reflection, by a method handle), processes, threads and the host's
 * shared pools, native libraries, {@code Unsafe} and {@code setAccessible} on JDK internals,
 * reflection on ringfence's own classes, class loaders, global state, files, the network and the
 * management API. Each answers {@code OK} with the body {@code escaped} only if its call got
 * through; under the default policy every one must end {@code DENIED}.
 *
 * <p>{@link dev.ringfence.samples.deny.WellBehaved} is the control: it uses reflection on its own
 * members, lambdas and string concatenation, which the gates must let through, and must end
 * {@code OK}.
 */
package dev.ringfence.samples.deny;
