package dev.ringfence.agent.it;

import dev.ringfence.agent.process.WorkerProcess;
import dev.ringfence.agent.process.WorkerSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A host JVM with one warm child of the process tier: prints {@code child=<pid>} once the child is
 * ready, then waits to be killed. {@link WorkerProcessIT} kills it to see the child go too.
 */
public final class WorkerHostMain {
    private WorkerHostMain() {
    }

    /**
     * @param args the agent jar, the handler jar, the handler class, the work directory
     * @throws Exception when the child does not start
     */
    public static void main(String[] args) throws Exception {
        WorkerProcess w = WorkerProcess.of(WorkerSpec.of(Path.of(args[0]), List.of(Path.of(args[1])), args[2],
                Path.of(args[3])));
        w.start();
        if (!w.awaitReady(TimeUnit.SECONDS.toNanos(60))) {
            System.out.println("not-ready");
            System.exit(1);
        }
        System.out.println("child=" + w.pid());
        System.out.flush();
        Thread.sleep(TimeUnit.MINUTES.toMillis(5));
    }
}
