package dev.ringfence.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a verb of the agent's CLI ({@code java -jar ringfence-agent.jar VERB …}) in a child process, as a user does. */
final class AgentCli {
    private AgentCli() {
    }

    /**
     * Runs the CLI with this JVM's {@code java} and waits for it (two minutes at most).
     *
     * @param agent the agent jar
     * @param args the verb and its arguments
     * @return what it printed, stdout and stderr together
     * @throws IllegalStateException when it exits non-zero or does not end in time
     */
    static String run(Path agent, String... args) {
        List<String> cmd = new ArrayList<>(List.of(ChildServer.java(), "-jar", agent.toString()));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(args[0] + " did not end within 120 s");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.exitValue() != 0) {
                throw new IllegalStateException(args[0] + " exited " + p.exitValue() + ":\n" + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
