package dev.ringfence.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server under test in a JVM of its own, started with the driver's {@code java}; its stdout and
 * stderr go to one log file, where it must print {@code listening on http://HOST:PORT} within a
 * bound. {@link #close} sends SIGTERM, waits, then kills; a shutdown hook kills every child still
 * running if the driver itself is stopped.
 */
final class ChildServer implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Process p : RUNNING) {
                p.destroyForcibly();
            }
        }, "serve-load-children"));
    }

    private final String name;
    private final Process process;
    private final Path log;
    private final URI base;

    private ChildServer(String name, Process process, Path log, URI base) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.base = base;
    }

    /** @return the driver's own {@code java} */
    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * Starts a child and waits until it says where it listens.
     *
     * @param name for messages
     * @param command the whole command line
     * @param env extra environment variables
     * @param log where its output goes
     * @param within how long it may take to listen
     * @return the running child
     * @throws IOException when it cannot start, exits, or does not listen in time (it is killed)
     * @throws InterruptedException when interrupted while waiting
     */
    static ChildServer start(String name, List<String> command, Map<String, String> env, Path log, Duration within)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        RUNNING.add(p);
        long until = System.nanoTime() + within.toNanos();
        try {
            while (System.nanoTime() < until && p.isAlive()) {
                Matcher m = LISTENING.matcher(Files.readString(log));
                if (m.find()) {
                    return new ChildServer(name, p, log, URI.create(m.group(1)));
                }
                Thread.sleep(50);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            kill(p);
            throw e;
        }
        kill(p);
        throw new IOException(name + " did not listen within " + within.toSeconds() + " s (" + (p.isAlive() ? "running"
                : "exit " + p.exitValue()) + "):\n" + tail(log, 3000));
    }

    private static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        RUNNING.remove(p);
    }

    static String tail(Path log, int chars) {
        try {
            String s = Files.readString(log);
            return s.length() <= chars ? s : "…" + s.substring(s.length() - chars);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** @return the address it listens on */
    InetSocketAddress address() {
        return new InetSocketAddress(base.getHost(), base.getPort());
    }

    /** @return its process id */
    long pid() {
        return process.pid();
    }

    /** @return the processes it started, and theirs, now */
    List<ProcessHandle> descendants() {
        return process.descendants().toList();
    }

    /** @return its log file */
    Path log() {
        return log;
    }

    /** @return whether it still runs */
    boolean alive() {
        return process.isAlive();
    }

    /** @return CPU time it has used so far, in nanoseconds, or -1 when the OS does not say */
    long cpuNanos() {
        return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    /**
     * Runs {@code jcmd PID GC.run}: a full collection in the child (class unloading included).
     *
     * @throws IOException when jcmd fails or takes more than 60 s
     * @throws InterruptedException when interrupted
     */
    void fullGc() throws IOException, InterruptedException {
        jcmd("GC.run");
    }

    /**
     * Runs {@code jcmd PID COMMAND…} with the driver's JDK.
     *
     * @param command the diagnostic command and its arguments, e.g. {@code VM.metaspace}
     * @return what jcmd printed
     * @throws IOException when jcmd fails or takes more than 60 s
     * @throws InterruptedException when interrupted
     */
    String jcmd(String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid())));
        cmd.addAll(List.of(command));
        Path out = Files.createTempFile("jcmd", ".txt");
        try {
            Process j = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!j.waitFor(60, TimeUnit.SECONDS)) {
                j.destroyForcibly();
                throw new IOException("jcmd " + command[0] + " did not finish in 60 s");
            }
            String text = Files.readString(out);
            if (j.exitValue() != 0) {
                throw new IOException("jcmd " + command[0] + " exited " + j.exitValue() + ": " + text);
            }
            return text;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** SIGTERM, up to 20 s to exit, then SIGKILL. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            System.err.println(name + " still running 20 s after SIGTERM: killed");
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        RUNNING.remove(process);
    }
}
