package dev.ringfence.agent.runtimeapi;

import dev.ringfence.agent.pipeline.RouteSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How a bootstrap process is started and killed: its command line (own session, memory cap) and its whole
 * environment.
 *
 * <p><b>Session.</b> With {@code /usr/bin/setsid} present the bootstrap leads a session and process
 * group of its own, so the supervisor can kill everything it started, daemonised grandchildren
 * included, with one signal to the group; the bootstrap keeps its pid (setsid only forks when the
 * caller already leads a group, which a child of the JVM does not).
 *
 * <p><b>Memory.</b> {@code memory} is applied as {@code RLIMIT_AS}, the virtual address space each
 * process may map: through {@code /usr/bin/prlimit} when present, else {@code ulimit -v} in
 * {@code /bin/sh} before it {@code exec}s the bootstrap. What it bounds honestly: each process's
 * mappings, not its resident memory and not the sum over processes (every child the bootstrap
 * starts inherits its own copy of the limit); runtimes that reserve large address ranges up front
 * (a JVM, Node.js, Go with big arenas) need a cap well above what they use. Past it,
 * {@code mmap}/{@code brk} fail and the runtime usually exits: a crash, restarted with backoff.
 *
 * <p><b>Environment.</b> Not the server's: only {@code PATH}, {@code LANG}, {@code TZ},
 * {@code HOME} and the variables the route's {@code policy.env} allows are passed from it, then the
 * Lambda variables ({@code AWS_LAMBDA_RUNTIME_API}, {@code _HANDLER}, {@code LAMBDA_TASK_ROOT},
 * {@code AWS_LAMBDA_FUNCTION_NAME}, {@code AWS_LAMBDA_FUNCTION_VERSION},
 * {@code AWS_LAMBDA_FUNCTION_MEMORY_SIZE}, {@code AWS_REGION}, {@code AWS_DEFAULT_REGION}, and the
 * log group and stream names), which a route cannot override.
 */
final class BootstrapCommand {
    /** The region the functions are told they run in. */
    static final String REGION = "local";
    /** The account id in the function ARN. */
    static final String ACCOUNT = "000000000000";

    private static final Path SETSID = Path.of("/usr/bin/setsid");
    private static final Path PRLIMIT = Path.of("/usr/bin/prlimit");
    private static final List<String> PASSED = List.of("PATH", "LANG", "TZ", "HOME");

    private BootstrapCommand() {
    }

    /** @return whether bootstraps get a process group of their own (killed as one) */
    static boolean ownGroup() {
        return Files.isExecutable(SETSID);
    }

    /**
     * @param bootstrap the executable
     * @param memoryBytes the cap on its virtual memory, 0 for none
     * @return the command line that runs it
     */
    static List<String> command(Path bootstrap, long memoryBytes) {
        List<String> cmd = new ArrayList<>();
        if (ownGroup()) {
            cmd.add(SETSID.toString());
        }
        String exe = bootstrap.toAbsolutePath().toString();
        if (memoryBytes > 0 && Files.isExecutable(PRLIMIT)) {
            cmd.add(PRLIMIT.toString());
            cmd.add("--as=" + memoryBytes);
        } else if (memoryBytes > 0) {
            cmd.add("/bin/sh");
            cmd.add("-c");
            cmd.add("ulimit -v \"$1\" && exec \"$0\"");
            cmd.add(exe);
            cmd.add(Long.toString(memoryBytes >> 10));
            return cmd;
        }
        cmd.add(exe);
        return cmd;
    }

    /**
     * @param route the route's name
     * @param version the version's short id
     * @param folder the route's folder ({@code LAMBDA_TASK_ROOT})
     * @param s the route's settings
     * @param apiAddress {@code 127.0.0.1:port} of this bootstrap's runtime API
     * @param parent the server's environment, of which little is passed
     * @return the bootstrap's whole environment
     */
    static Map<String, String> environment(String route, String version, Path folder, RouteSettings s,
            String apiAddress, Map<String, String> parent) {
        Map<String, String> env = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : parent.entrySet()) {
            if (PASSED.contains(e.getKey()) || s.policy().mayReadEnv(e.getKey())) {
                env.put(e.getKey(), e.getValue());
            }
        }
        env.put("AWS_LAMBDA_RUNTIME_API", apiAddress);
        env.put("_HANDLER", s.handler());
        env.put("LAMBDA_TASK_ROOT", folder.toAbsolutePath().toString());
        env.put("LAMBDA_RUNTIME_DIR", folder.toAbsolutePath().toString());
        env.put("AWS_LAMBDA_FUNCTION_NAME", route);
        env.put("AWS_LAMBDA_FUNCTION_VERSION", version);
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(s.runtime().memoryMegabytes()));
        env.put("AWS_LAMBDA_LOG_GROUP_NAME", "/ringfence/" + route);
        env.put("AWS_LAMBDA_LOG_STREAM_NAME", version);
        env.put("AWS_REGION", REGION);
        env.put("AWS_DEFAULT_REGION", REGION);
        env.put("AWS_EXECUTION_ENV", "ringfence_provided");
        return env;
    }

    /**
     * @param route the route's name
     * @return the ARN a function is told it was invoked as
     */
    static String functionArn(String route) {
        return "arn:aws:lambda:" + REGION + ":" + ACCOUNT + ":function:" + route;
    }

    /** Kills a bootstrap's group, every descendant it has now, then itself. */
    static void killTree(Process p) {
        List<ProcessHandle> below = p.toHandle().descendants().toList();
        killGroup(p.pid());
        p.destroyForcibly();
        below.forEach(ProcessHandle::destroyForcibly);
    }

    /**
     * Kills what is left of a bootstrap's process group (what it started and left behind). Safe
     * after the bootstrap is gone: Linux does not hand out a pid again while a group of that id has
     * members.
     *
     * @param pid the bootstrap's pid, its group's id
     */
    static void killGroup(long pid) {
        if (!ownGroup()) {
            return;
        }
        try {
            new ProcessBuilder("kill", "-KILL", "--", "-" + pid).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(2, TimeUnit.SECONDS);
        } catch (IOException e) {
            // no kill(1): only the descendants found are killed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
