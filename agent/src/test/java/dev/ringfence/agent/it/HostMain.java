package dev.ringfence.agent.it;

import dev.ringfence.agent.pipeline.InProcessRoute;
import dev.ringfence.api.Budgets;
import dev.ringfence.api.Request;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.Policy;
import dev.ringfence.loader.HandlerVersion;
import dev.ringfence.loader.LoadOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A host application started with {@code -javaagent:ringfence-agent.jar}: it runs sample handlers
 * through the public pipeline API and shows that its own threads are not affected by the gates.
 */
public final class HostMain {
    private HostMain() {
    }

    /**
     * @param args the samples jar, then handler class names
     * @throws Exception when the host's own work fails
     */
    public static void main(String[] args) throws Exception {
        Path own = Files.createTempFile("ringfence-host", ".txt");
        Files.writeString(own, "host data");
        System.out.println("host-read=" + Files.readString(own));
        Files.delete(own);
        Thread t = new Thread(() -> System.out.println("host-thread=ran"));
        t.start();
        t.join();
        HandlerVersion v = HandlerVersion.load(List.of(Path.of(args[0])), LoadOptions.of(Policy.DENY_ALL));
        MeteredExecutor executor = new MeteredExecutor("host-handlers", 20_000_000L, 0);
        for (int i = 1; i < args.length; i++) {
            InProcessRoute r = InProcessRoute.open("r" + i, v, args[i], new Budgets(2_000_000_000L, 0, 0, 0), executor,
                    System.err);
            System.out.println(args[i] + "=" + r.invoke(Request.builder("id" + i).build()).outcome());
        }
        System.out.println("host-property=" + System.setProperty("ringfence.host", "set"));
        System.out.println("host-alive");
    }
}
