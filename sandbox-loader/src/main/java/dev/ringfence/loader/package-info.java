/**
 * Handler versions: one throwaway class loader per version, the class policy at link time, hot
 * reload, unload verification and leak diagnosis, and the on-disk cache of instrumented bytecode.
 *
 * <p>A {@link dev.ringfence.loader.HandlerVersion} is the content hash of a handler's classpath,
 * read into memory on the host's thread, and a {@link dev.ringfence.loader.VersionClassLoader}
 * that defines its classes instrumented (through the
 * {@link dev.ringfence.loader.InstrumentedClassCache}) and shows them only the JDK, the API and the
 * probes. {@link dev.ringfence.loader.HandlerVersions} holds a route's current version, switches it
 * on reload, drains the old one through leases and hands it to the
 * {@link dev.ringfence.loader.UnloadWatch}, which proves with a phantom reference that its loader
 * was collected or reports the leak and its likely cause to a
 * {@link dev.ringfence.loader.VersionListener}.
 *
 * <p>Typical use by the agent:
 * <pre>{@code
 * UnloadWatch watch = new UnloadWatch();
 * LoadOptions options = LoadOptions.of(policy).withCache(InstrumentedClassCache.atDefaultLocation());
 * HandlerVersions route = new HandlerVersions("orders", options, watch, listener);
 * route.reload(List.of(Path.of("orders-handler.jar")));
 * try (HandlerVersions.Lease lease = route.acquire()) {
 *     HandlerVersion v = lease.version();
 *     RunResult<Response> r = executor.run(budgets, v.policy(), v.classLoader(),
 *             () -> v.newHandler("com.acme.Orders").handle(request, context));
 * }
 * }</pre>
 */
package dev.ringfence.loader;
