package dev.ringfence.agent.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real shaded agent jar in a forked JVM, the way a user does. */
final class Cli {
    static final Path AGENT_JAR = Path.of(System.getProperty("ringfence.agentJar", "target/ringfence-agent.jar"));
    static final Path SAMPLES_JAR = Path.of(System.getProperty("ringfence.samplesJar",
            "../samples/target/ringfence-samples-0.1.0-SNAPSHOT.jar"));
    static final Path SAMPLES_LIBS = Path.of(System.getProperty("ringfence.samplesLibs", "../samples/target/handler-libs"));
    /** The ready routes directory the samples build leaves (the README's run command serves it). */
    static final Path SAMPLES_ROUTES = Path.of(System.getProperty("ringfence.samplesRoutes", "../samples/target/routes"));
    static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    private Cli() {
    }

    /** What a forked run printed. */
    record Run(int exit, List<String> out, String err, long millis) {
        String lastLine() {
            return out.isEmpty() ? "" : out.get(out.size() - 1);
        }

        String field(String name) {
            return Cli.field(lastLine(), name);
        }

        @Override
        public String toString() {
            return "exit=" + exit + "\nstdout:\n" + String.join("\n", out) + "\nstderr:\n" + err;
        }
    }

    static Run java(List<String> jvmArgs, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(JAVA);
        cmd.add("-Xmx512m");
        cmd.addAll(jvmArgs);
        cmd.add("-jar");
        cmd.add(AGENT_JAR.toString());
        cmd.addAll(Arrays.asList(args));
        return exec(cmd, 120);
    }

    static Run agent(String... args) {
        return java(List.of(), args);
    }

    /** {@code invoke} of a sample handler class with the given extra flags. */
    static Run invoke(String className, String... flags) {
        List<String> args = new ArrayList<>(List.of("invoke", "--handler", SAMPLES_JAR.toString(), "--class", className));
        args.addAll(Arrays.asList(flags));
        return java(List.of(), args.toArray(new String[0]));
    }

    static Run exec(List<String> cmd, int timeoutSeconds) {
        return exec(cmd, timeoutSeconds, null);
    }

    /** Like {@link #exec(List, int)}, in a working directory (null: this JVM's). */
    static Run exec(List<String> cmd, int timeoutSeconds, Path workingDir) {
        try {
            Path out = Files.createTempFile("ringfence-it", ".out");
            Path err = Files.createTempFile("ringfence-it", ".err");
            long start = System.nanoTime();
            Process p = new ProcessBuilder(cmd).directory(workingDir == null ? null : workingDir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("timed out after " + timeoutSeconds + " s: " + cmd + "\n"
                        + Files.readString(out) + Files.readString(err));
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            Run r = new Run(p.exitValue(), Files.readAllLines(out, StandardCharsets.UTF_8), Files.readString(err), millis);
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            return r;
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Reads a top-level string or number field of a flat JSON line (enough for the CLI's output). */
    static String field(String json, String name) {
        String key = "\"" + name + "\":";
        int i = json.indexOf(key);
        if (i < 0) {
            return null;
        }
        i += key.length();
        if (json.startsWith("null", i)) {
            return null;
        }
        if (json.charAt(i) == '"') {
            StringBuilder sb = new StringBuilder();
            for (int j = i + 1; j < json.length(); j++) {
                char c = json.charAt(j);
                if (c == '\\') {
                    char n = json.charAt(++j);
                    sb.append(n == 'n' ? '\n' : n == 't' ? '\t' : n);
                } else if (c == '"') {
                    return sb.toString();
                } else {
                    sb.append(c);
                }
            }
            throw new IllegalArgumentException("unterminated string in " + json);
        }
        int end = i;
        while (end < json.length() && json.charAt(end) != ',' && json.charAt(end) != '}') {
            end++;
        }
        return json.substring(i, end);
    }

    /**
     * Waits for every process this JVM started to end; kills, and fails on, one still running after
     * the bound: no child of the process tier may be left behind by a test.
     *
     * @param seconds how long each may take to end
     * @throws Exception when interrupted
     */
    static void assertNoProcessLeftBehind(long seconds) throws Exception {
        for (ProcessHandle d : ProcessHandle.current().descendants().toList()) {
            try {
                d.onExit().get(seconds, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                d.destroyForcibly();
                throw new AssertionError("a process was left behind: " + d.pid() + " " + d.info().commandLine().orElse(""));
            }
        }
    }
}
