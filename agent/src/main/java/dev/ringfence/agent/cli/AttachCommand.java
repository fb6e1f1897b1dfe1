package dev.ringfence.agent.cli;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import dev.ringfence.agent.attach.AttachSettings;
import dev.ringfence.agent.attach.IsolatedStart;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code attach PID [--config FILE | key=value …]} and {@code detach PID}: loads this agent jar
 * into a running JVM to put budgets on its methods, or takes it out again. The settings are
 * checked here, before anything is attached. The agent in the target writes a report, which is
 * printed on stdout. Exit codes: 0 done, 1 the target reported an error, 2 bad usage or settings,
 * 3 the target cannot be attached to (gone, not a JVM, refuses dynamic agents).
 */
final class AttachCommand {
    static final String USAGE = "usage: attach PID [--config FILE] [key=value …] | detach PID";

    /** Exit code when the target JVM cannot be reached. */
    static final int UNREACHABLE = 3;

    private AttachCommand() {
    }

    static int attach(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty()) {
            throw new UsageException(USAGE);
        }
        long pid = pid(args.get(0));
        Path file = null;
        List<String> inline = new ArrayList<>();
        for (int i = 1; i < args.size(); i++) {
            if (args.get(i).equals("--config")) {
                if (i + 1 == args.size()) {
                    throw new UsageException("--config needs a file\n" + USAGE);
                }
                file = Path.of(args.get(++i));
            } else {
                inline.add(args.get(i));
            }
        }
        AttachSettings settings = AttachSettings.read(file, inline);
        return inTempDir(dir -> {
            settings.store(dir.resolve("settings.properties"));
            return load(pid, "attach", dir, out, err);
        }, err);
    }

    static int detach(List<String> args, PrintStream out, PrintStream err) {
        if (args.size() != 1) {
            throw new UsageException(USAGE);
        }
        long pid = pid(args.get(0));
        return inTempDir(dir -> load(pid, "detach", dir, out, err), err);
    }

    private static long pid(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new UsageException("'" + text + "' is not a process id\n" + USAGE);
        }
    }

    /** One step in a temporary directory. */
    private interface Step {
        int run(Path dir) throws IOException;
    }

    private static int inTempDir(Step step, PrintStream err) {
        Path dir;
        try {
            dir = Files.createTempDirectory("ringfence-attach-");
        } catch (IOException e) {
            err.println("ringfence: cannot create a temporary directory: " + e);
            return 1;
        }
        try {
            return step.run(dir);
        } catch (IOException e) {
            err.println("ringfence: " + e);
            return 1;
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temporary directory left behind is harmless
            }
        }
    }

    private static int load(long pid, String step, Path dir, PrintStream out, PrintStream err) throws IOException {
        String unreachable = unreachable(pid);
        if (unreachable != null) {
            err.println("ringfence: " + unreachable);
            return UNREACHABLE;
        }
        Path jar = agentJar();
        VirtualMachine vm;
        try {
            vm = VirtualMachine.attach(Long.toString(pid));
        } catch (AttachNotSupportedException e) {
            err.println("ringfence: the JVM " + pid + " refuses to be attached to (was it started with "
                    + "-XX:+DisableAttachMechanism?): " + e.getMessage());
            return UNREACHABLE;
        } catch (IOException e) {
            err.println("ringfence: cannot attach to the JVM " + pid + " (has it exited?): " + e.getMessage());
            return UNREACHABLE;
        }
        try {
            vm.loadAgent(jar.toString(), IsolatedStart.PREFIX + step + ":" + dir.toAbsolutePath());
        } catch (AgentLoadException | AgentInitializationException e) {
            err.println("ringfence: the JVM " + pid + " refused to load the agent (dynamic agent loading disabled with "
                    + "-XX:-EnableDynamicAgentLoading?): " + e.getMessage());
            return UNREACHABLE;
        } catch (IOException e) {
            err.println("ringfence: the JVM " + pid + " went away during the " + step + ": " + e.getMessage());
            return UNREACHABLE;
        } finally {
            try {
                vm.detach();
            } catch (IOException ignored) {
                // the target may be gone; the outcome was reported above
            }
        }
        Path report = dir.resolve("report.txt");
        if (!Files.exists(report)) {
            err.println("ringfence: the JVM " + pid + " wrote no " + step + " report (see its stderr)");
            return 1;
        }
        List<String> lines = Files.readAllLines(report);
        lines.forEach(out::println);
        boolean failed = lines.stream().anyMatch(l -> l.startsWith("error:"));
        if (failed) {
            err.println("ringfence: the " + step + " of " + pid + " reported errors");
        }
        return failed ? 1 : 0;
    }

    /**
     * Why a process cannot be attached to, checked without touching it (attaching to a process
     * that is not a JVM would send it a signal that may end it), or null when it is a JVM this
     * user may attach to.
     */
    private static String unreachable(long pid) {
        java.util.Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty() || !process.get().isAlive()) {
            return "no process " + pid + " (has it exited?)";
        }
        if (pid == ProcessHandle.current().pid()) {
            return "cannot attach to the CLI's own JVM";
        }
        String id = Long.toString(pid);
        if (VirtualMachine.list().stream().noneMatch(d -> d.id().equals(id))) {
            if (looksLikeAJvm(process.get())) {
                return "the JVM " + pid + " does not accept attach (started with -XX:+DisableAttachMechanism, "
                        + "-XX:-UsePerfData, or by another user?)";
            }
            return "process " + pid + " is not a JVM this user can attach to";
        }
        return null;
    }

    /**
     * Whether a process that the attach API does not list is a JVM all the same: it has a
     * performance-data file (which a JVM started with {@code -XX:+DisableAttachMechanism} still
     * writes) or its executable is {@code java}.
     */
    private static boolean looksLikeAJvm(ProcessHandle p) {
        Path perf = Path.of(System.getProperty("java.io.tmpdir"), "hsperfdata_" + System.getProperty("user.name"),
                Long.toString(p.pid()));
        boolean java = p.info().command().map(c -> Path.of(c).getFileName().toString().startsWith("java")).orElse(false);
        return java || Files.exists(perf);
    }

    private static Path agentJar() {
        try {
            Path p = Path.of(AttachCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isRegularFile(p)) {
                throw new UsageException("attach runs from the agent jar (java -jar ringfence-agent.jar attach …), not " + p);
            }
            return p;
        } catch (URISyntaxException e) {
            throw new UsageException("cannot find the agent jar: " + e.getMessage());
        }
    }
}
