package dev.ringfence.agent.serve;

import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.agent.pipeline.Route;
import dev.ringfence.api.Request;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * The in-process API of a host JVM started with
 * {@code -javaagent:ringfence-agent.jar=serve=DIR}: call the routes of the running {@code serve}
 * runtime without HTTP, through the same pipeline (breaker, admission, deadline, retries, budgets,
 * policy, metrics and JFR events).
 *
 * <pre>{@code
 * InvocationResult r = Ringfence.route("hello").invoke(Request.builder("req-1").query("name", "ada").build());
 * if (r.outcome() == Outcome.OK) {
 *     String text = r.response().bodyAsString();
 * }
 * }</pre>
 *
 * <p>Compile against the agent jar (its {@code dev.ringfence.api} classes are the ones the
 * runtime uses). Thread-safe; a {@link RouteCall} may be kept and used from any number of
 * threads, and follows the route through reloads.
 */
public final class Ringfence {
    private static volatile ServeRuntime runtime;

    private Ringfence() {
    }

    static void install(ServeRuntime r) {
        runtime = r;
    }

    static void uninstall(ServeRuntime r) {
        if (runtime == r) {
            runtime = null;
        }
    }

    /** @return whether a {@code serve} runtime is running in this JVM */
    public static boolean isServing() {
        return runtime != null;
    }

    /**
     * @return the names of the routes served now
     * @throws IllegalStateException when no {@code serve} runtime runs in this JVM
     */
    public static List<String> routes() {
        return running().routes().all().stream().map(Route::name).toList();
    }

    /**
     * Names a route to call. The route is looked up at each call, so the handle works across
     * reloads, and for a route added later.
     *
     * @param name the route's name (its folder's)
     * @return a handle to call it with
     */
    public static RouteCall route(String name) {
        return new RouteCall(Objects.requireNonNull(name, "name"));
    }

    private static ServeRuntime running() {
        ServeRuntime r = runtime;
        if (r == null) {
            throw new IllegalStateException("no ringfence serve runtime in this JVM: start it with "
                    + "-javaagent:ringfence-agent.jar=serve=DIR");
        }
        return r;
    }

    /** A route to call in-process. Immutable and thread-safe. */
    public static final class RouteCall {
        private final String name;

        private RouteCall(String name) {
            this.name = name;
        }

        /**
         * Runs a request through the route's pipeline on this thread's behalf (the handler runs on
         * a sandbox worker; this thread waits, at most the route's timeout plus a small grace).
         *
         * @param request the request (its path is the path below the route)
         * @return how it ended; never throws for anything the handler does
         * @throws IllegalStateException when no {@code serve} runtime runs in this JVM
         * @throws NoSuchElementException when there is no route of this name
         */
        public InvocationResult invoke(Request request) {
            Route r = running().routes().get(name);
            if (r == null) {
                throw new NoSuchElementException("no route named " + name);
            }
            return r.invoke(request);
        }

        /** @return the route's name */
        public String name() {
            return name;
        }
    }
}
