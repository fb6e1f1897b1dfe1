package dev.ringfence.agent.it;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * {@code promtool check metrics} (Debian package {@code prometheus}), for the tests that check
 * what the metrics writer and the served {@code /metrics} page produce: the tool named by
 * {@code -Dringfence.promtool=PATH}, else the first on {@code PATH}.
 */
public final class Promtool {
    private Promtool() {
    }

    /** What the tool said: its exit code and its output (lint findings, one per line). */
    public record Verdict(int exitCode, String output) {
    }

    /** @return the tool, or null when there is none */
    public static Path find() {
        String given = System.getProperty("ringfence.promtool");
        if (given != null && !given.isBlank()) {
            return Files.isExecutable(Path.of(given)) ? Path.of(given) : null;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "promtool");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * Checks a served {@code /metrics} page with the real tool, when this machine has it
     * ({@code apt-get install prometheus}): it must pass, with no lint finding.
     *
     * @param exposition Prometheus text
     * @throws Exception when the tool cannot be run
     */
    public static void assertAccepts(String exposition) throws Exception {
        Path tool = find();
        if (tool != null) {
            Verdict v = check(tool, exposition);
            org.junit.jupiter.api.Assertions.assertEquals(0, v.exitCode(), v.output());
            org.junit.jupiter.api.Assertions.assertEquals("", v.output().trim(), "promtool's lint findings");
        }
    }

    /**
     * @param tool from {@link #find()}
     * @param exposition Prometheus text
     * @return what the tool said of it
     * @throws IOException when the tool cannot be run
     * @throws InterruptedException when interrupted while it runs
     */
    public static Verdict check(Path tool, String exposition) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(tool.toString(), "check", "metrics").redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("promtool did not finish");
        }
        return new Verdict(p.exitValue(), output);
    }
}
