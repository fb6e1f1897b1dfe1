package dev.ringfence.agent.it;

import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.agent.serve.Ringfence;
import dev.ringfence.api.Request;
import java.util.concurrent.TimeUnit;

/**
 * A host application started with {@code -javaagent:ringfence-agent.jar=serve=DIR,port=0}: it
 * waits for the runtime, calls a route in-process through {@link Ringfence}, prints the outcome
 * and body, and returns from {@code main}; the runtime's threads must not keep the JVM alive.
 */
public final class ServingHostMain {
    private ServingHostMain() {
    }

    /**
     * @param args the route to call
     * @throws Exception when the route's MXBean cannot be read
     */
    public static void main(String[] args) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!(Ringfence.isServing() && Ringfence.routes().contains(args[0])) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        InvocationResult r = Ringfence.route(args[0]).invoke(Request.builder("host-1").query("name", "host").build());
        System.out.println("outcome=" + r.outcome());
        System.out.println("body=" + (r.response() == null ? r.message() : r.response().bodyAsString()));
        javax.management.ObjectName bean = new javax.management.ObjectName("dev.ringfence:type=Route,name=\"" + args[0] + "\"");
        System.out.println("jmx-requests=" + java.lang.management.ManagementFactory.getPlatformMBeanServer()
                .getAttribute(bean, "Requests"));
    }
}
