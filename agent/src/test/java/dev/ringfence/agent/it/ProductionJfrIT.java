package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A production flight recording, done the way an operator does it: {@code ringfence.jfc} taken out
 * of the agent jar with the JDK's {@code jar} tool, {@code serve} started with
 * {@code -XX:StartFlightRecording:settings=…} (alone, and together with JFR's own {@code profile}
 * settings), requests over loopback HTTP, the recording dumped with {@code jcmd} while the server
 * runs and written when SIGTERM stops it, and read back with the JDK's {@code jfr} tool and with
 * {@code report}.
 */
class ProductionJfrIT {
    /** Where the settings file sits inside the agent jar. */
    private static final String JFC_ENTRY = "dev/ringfence/jfr/ringfence.jfc";
    private static final Path JDK_BIN = Path.of(System.getProperty("java.home"), "bin");

    @TempDir
    Path dir;

    @Test
    void shouldCaptureInvocationsWithTheShippedSettingsAndReadThemBackWithTheJfrTool() throws Exception {
        Path jfc = extractJfc();
        Path live = dir.resolve("live.jfr");
        Path recording = record("settings=" + jfc, live);

        String printed = jfr("print", "--events", "ringfence.Invocation", recording.toString());
        assertTrue(printed.contains("ringfence.Invocation {"), printed);
        assertEquals(3, count(printed, "route = \"hello\""), printed);
        assertEquals(3, count(printed, "outcome = \"OK\""), printed);
        assertEquals(1, count(printed, "route = \"exit\""), printed);
        assertEquals(1, count(printed, "outcome = \"DENIED\""), printed);
        assertTrue(printed.contains("wallNanos = "), printed);

        String summary = jfr("summary", recording.toString());
        assertEquals(4, summaryCount(summary, "ringfence.Invocation"), summary);
        assertEquals(1, summaryCount(summary, "ringfence.Denied"), summary);
        assertTrue(summaryCount(summary, "ringfence.VersionLoaded") >= 2, summary);
        assertEquals(0, summaryCount(summary, "jdk.JVMInformation"), "ringfence.jfc alone leaves JFR's other events off: " + summary);

        Cli.Run report = Cli.agent("report", recording.toString());
        assertEquals(0, report.exit(), report.toString());
        assertTrue(report.out().stream().anyMatch(l -> l.matches("hello\\s+OK\\s+3\\s.*")), report.toString());
        assertTrue(report.out().stream().anyMatch(l -> l.matches("exit\\s+DENIED\\s+1\\s.*")), report.toString());

        String dumped = jfr("summary", live.toString());
        assertEquals(4, summaryCount(dumped, "ringfence.Invocation"), "jcmd JFR.dump of the running server: " + dumped);

        if (Runtime.version().feature() >= 21) { // jfr view came with JDK 21
            String view = jfr("view", "--width", "200", "ringfence.Invocation", recording.toString());
            assertTrue(view.contains("Outcome") && view.contains("Route"), view);
            assertTrue(view.contains("hello") && view.contains("OK"), view);
            assertTrue(view.contains("exit") && view.contains("DENIED"), view);
        }
    }

    @Test
    void shouldCombineTheShippedSettingsWithJfrsOwnProfileSettings() throws Exception {
        Path recording = record("settings=profile,settings=" + extractJfc(), null);
        String summary = jfr("summary", recording.toString());
        assertEquals(4, summaryCount(summary, "ringfence.Invocation"), summary);
        assertTrue(summaryCount(summary, "jdk.JVMInformation") >= 1, "profile's events are recorded too: " + summary);
    }

    /** Takes the settings file out of the agent jar as a user does: {@code jar xf ringfence-agent.jar ENTRY}. */
    private Path extractJfc() {
        Cli.Run r = Cli.exec(List.of(JDK_BIN.resolve("jar").toString(), "xf", Cli.AGENT_JAR.toAbsolutePath().toString(),
                JFC_ENTRY), 60, dir);
        assertEquals(0, r.exit(), r.toString());
        Path jfc = dir.resolve(JFC_ENTRY);
        assertTrue(Files.isRegularFile(jfc), "jar xf left no " + jfc);
        return jfc;
    }

    /**
     * Serves a {@code hello} route and an {@code exit} route (whose handler the policy denies) under
     * a flight recording, sends three requests to the first and one to the second, and stops the
     * server with SIGTERM, which writes the recording.
     *
     * @param settings the recording's {@code settings=} options
     * @param live where to dump the recording with {@code jcmd PID JFR.dump} while the server
     *     still runs, or null for no dump
     * @return the recording file, written at exit
     */
    private Path record(String settings, Path live) throws Exception {
        Path routes = Files.createDirectories(dir.resolve("routes"));
        route(routes, "hello", "handler=dev.ringfence.samples.Hello\n");
        route(routes, "exit", "handler=dev.ringfence.samples.deny.SystemExit\nbreaker.failures=1000\n");
        Path recording = dir.resolve("serve.jfr");
        String flight = "-XX:StartFlightRecording:" + settings + ",filename=" + recording + ",dumponexit=true";
        try (ForkedServe serve = ForkedServe.start(List.of(flight), routes, Map.of())) {
            for (String name : new String[] {"ada", "bob", "cy"}) {
                assertEquals(200, serve.get("/fn/hello?name=" + name).statusCode());
            }
            assertEquals("DENIED", ForkedServe.outcome(serve.get("/fn/exit")));
            if (live != null) {
                Cli.Run dump = Cli.exec(List.of(JDK_BIN.resolve("jcmd").toString(), Long.toString(serve.process().pid()),
                        "JFR.dump", "name=1", "filename=" + live), 120, dir);
                assertEquals(0, dump.exit(), dump.toString());
            }
            serve.stop();
        }
        assertTrue(Files.size(recording) > 0, "no recording at " + recording);
        return recording;
    }

    private static void route(Path routes, String name, String settings) throws IOException {
        ForkedServe.route(routes, name, settings, Cli.SAMPLES_JAR);
    }

    /** Runs the JDK's {@code jfr} tool and returns its stdout; the test fails when it fails. */
    private String jfr(String... args) {
        List<String> cmd = new ArrayList<>(List.of(JDK_BIN.resolve("jfr").toString()));
        cmd.addAll(Arrays.asList(args));
        Cli.Run r = Cli.exec(cmd, 120, dir);
        assertEquals(0, r.exit(), r.toString());
        return String.join("\n", r.out());
    }

    /** @return the count {@code jfr summary} gives for an event type, 0 when it lists none */
    private static long summaryCount(String summary, String eventType) {
        Matcher m = Pattern.compile("(?m)^\\s*" + Pattern.quote(eventType) + "\\s+(\\d+)\\s+\\d+\\s*$").matcher(summary);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
            n++;
        }
        return n;
    }
}
