package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.BudgetExceededException;
import dev.ringfence.jfr.Jfc;
import java.io.File;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

/**
 * {@code attach} and {@code detach} against the sample plugin service running in a forked JVM (its
 * class path: the samples jar, ringfence-api and an old ASM of its own), with the real agent jar.
 */
class AttachIT {
    private static final String SERVICE = "dev.ringfence.samples.service.PluginService";
    private static final String OLD_ASM = "asm-5.0.4.jar";
    /** The host's own copies of the agent's other libraries, at other versions than the agent's (relocated) ones. */
    private static final Map<String, String> HOST_LIBS = Map.of("net.bytebuddy.ByteBuddy", "byte-buddy-1.12.19.jar",
            "org.agrona.DirectBuffer", "agrona-1.17.1.jar", "org.HdrHistogram.Histogram", "HdrHistogram-2.1.12.jar");
    private static final String[] BUDGET = {"budget.plugins.methods=dev.ringfence.samples.service.Plugins#run",
        "budget.plugins.timeout=300ms", "budget.plugins.instrument=dev.ringfence.samples.service.plugins.**"};

    private static ForkedServe service(String... jvmFlags) throws Exception {
        Path api = Path.of(BudgetExceededException.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path libs = Path.of(System.getProperty("ringfence.attachHostLibs", "target/attach-host-libs"));
        List<String> classPath = new ArrayList<>(List.of(Cli.SAMPLES_JAR.toString(), api.toString()));
        List<String> jars = new ArrayList<>(HOST_LIBS.values());
        jars.add(OLD_ASM);
        for (String jar : jars) {
            Path p = libs.resolve(jar);
            assertTrue(Files.isRegularFile(p), p + " (copied by the build)");
            classPath.add(p.toString());
        }
        List<String> cmd = new ArrayList<>(List.of(Cli.JAVA, "-Xmx256m"));
        cmd.addAll(List.of(jvmFlags));
        cmd.addAll(List.of("-cp", String.join(File.pathSeparator, classPath), SERVICE));
        return ForkedServe.launch(cmd, Map.of());
    }

    private static Cli.Run attach(long pid, String... settings) {
        List<String> args = new ArrayList<>(List.of("attach", Long.toString(pid)));
        args.addAll(List.of(settings));
        return Cli.agent(args.toArray(new String[0]));
    }

    private static void assertAnswer(ForkedServe s, String path, int status, String part) throws Exception {
        HttpResponse<String> r = s.get(path);
        assertEquals(status, r.statusCode(), path + ": " + r.body());
        assertTrue(r.body().contains(part), path + ": " + r.body());
    }

    @Test
    void shouldStopARunawayPluginThenDetachCleanlyAndAttachAgain() throws Exception {
        try (ForkedServe s = service()) {
            long pid = s.process().pid();
            assertAnswer(s, "/class/org.objectweb.asm.ClassReader", 200, OLD_ASM);
            assertAnswer(s, "/plugin/spin?600", 200, "spun 600 ms");

            Cli.Run attached = attach(pid, BUDGET);
            assertEquals(0, attached.exit(), attached.toString());
            String report = String.join("\n", attached.out());
            assertTrue(report.contains("budgeted dev.ringfence.samples.service.Plugins#run("), report);
            assertTrue(report.contains("instrumented dev.ringfence.samples.service.plugins.Runaway"), report);

            assertAnswer(s, "/plugin/runaway", 503, "TIMEOUT");
            assertAnswer(s, "/plugin/spin?600", 503, "budget 'plugins'");
            assertAnswer(s, "/plugin/greeting?ringfence", 200, "hello, ringfence");
            assertAnswer(s, "/class/org.objectweb.asm.ClassReader", 200, OLD_ASM);
            for (Map.Entry<String, String> lib : HOST_LIBS.entrySet()) {
                assertAnswer(s, "/class/" + lib.getKey(), 200, lib.getValue()); // the host's own copy, not the agent's
            }

            Cli.Run detached = Cli.agent("detach", Long.toString(pid));
            assertEquals(0, detached.exit(), detached.toString());
            String restored = String.join("\n", detached.out());
            assertTrue(restored.contains("restored 4 of 4 transformed classes"), restored);
            assertTrue(restored.contains("restored dev.ringfence.samples.service.plugins.Runaway ("), restored);
            assertTrue(restored.contains("budget plugins: 3 calls, 2 stopped"), restored);
            assertTrue(restored.contains("the agent's class loader was collected"), restored);
            // the restored code calls no probe: a plugin past the budget runs to its end again
            assertAnswer(s, "/plugin/spin?600", 200, "spun 600 ms");

            Cli.Run again = attach(pid, BUDGET);
            assertEquals(0, again.exit(), again.toString());
            assertAnswer(s, "/plugin/runaway", 503, "TIMEOUT");
            Cli.Run second = Cli.agent("detach", Long.toString(pid));
            assertEquals(0, second.exit(), second.toString());
            assertTrue(String.join("\n", second.out()).contains("the agent's class loader was collected"), second.toString());
            assertAnswer(s, "/health", 200, "ok");
            assertTrue(s.process().isAlive());
        }
    }

    @Test
    void shouldLetAnObservedBudgetRunAndLogTheOverrun() throws Exception {
        try (ForkedServe s = service()) {
            long pid = s.process().pid();
            Cli.Run attached = attach(pid, "budget.observe.methods=dev.ringfence.samples.service.Plugins#run",
                    "budget.observe.timeout=100ms", "budget.observe.onExceeded=log",
                    "budget.observe.instrument=dev.ringfence.samples.service.plugins.**");
            assertEquals(0, attached.exit(), attached.toString());
            assertAnswer(s, "/plugin/spin?300", 200, "spun 300 ms");
            Cli.Run detached = Cli.agent("detach", Long.toString(pid));
            assertEquals(0, detached.exit(), detached.toString());
            assertTrue(String.join("\n", detached.out()).contains("budget observe: 1 calls, 0 stopped, 1 over budget"),
                    detached.toString());
            assertTrue(s.err().contains("budget 'observe' of dev.ringfence.samples.service.Plugins#run exceeded, not stopped"),
                    s.err());
        }
    }

    @Test
    void shouldServeMetricsAndRecordInvocationsInTheHostsRecording() throws Exception {
        Path jfr = Files.createTempFile("ringfence-attach", ".jfr");
        Path jfc = Jfc.copyTo(Files.createTempFile("ringfence", ".jfc"));
        // the production set-up: the host records with ringfence's settings from its start, before any attach
        try (ForkedServe s = service("-XX:StartFlightRecording=settings=" + jfc)) {
            long pid = s.process().pid();
            List<String> settings = new ArrayList<>(List.of(BUDGET));
            settings.add("http.port=0");
            Cli.Run attached = attach(pid, settings.toArray(new String[0]));
            assertEquals(0, attached.exit(), attached.toString());
            Matcher m = Pattern.compile("metrics on (http://\\S+)/metrics").matcher(String.join("\n", attached.out()));
            assertTrue(m.find(), attached.toString());
            String base = m.group(1);
            assertAnswer(s, "/plugin/runaway", 503, "TIMEOUT");
            assertAnswer(s, "/plugin/greeting", 200, "hello");

            String metrics = get(base + "/metrics");
            assertTrue(metrics.contains("ringfence_attach_calls_total{budget=\"plugins\"} 2"), metrics);
            assertTrue(metrics.contains("ringfence_attach_stopped_total{budget=\"plugins\"} 1"), metrics);
            assertTrue(get(base + "/status").contains("\"stopped\":1"));

            Cli.Run dump = Cli.exec(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "JFR.dump", "filename=" + jfr), 60);
            assertEquals(0, dump.exit(), dump.toString());
            List<String> outcomes = new ArrayList<>();
            for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
                if (e.getEventType().getName().equals("ringfence.Invocation") && "plugins".equals(e.getString("route"))) {
                    assertEquals("dev.ringfence.samples.service.Plugins#run", e.getString("version"));
                    outcomes.add(e.getString("outcome"));
                }
            }
            assertEquals(List.of("OK", "TIMEOUT"), outcomes.stream().sorted().toList());

            Cli.Run detached = Cli.agent("detach", Long.toString(pid));
            assertEquals(0, detached.exit(), detached.toString());
            assertTrue(String.join("\n", detached.out()).contains("closed " + base), detached.toString());
            assertThrows(java.io.IOException.class, () -> get(base + "/metrics"));
        } finally {
            Files.deleteIfExists(jfr);
            Files.deleteIfExists(jfc);
        }
    }

    private static String get(String url) throws Exception {
        java.net.HttpURLConnection c = (java.net.HttpURLConnection) java.net.URI.create(url).toURL().openConnection();
        c.setConnectTimeout(5_000);
        c.setReadTimeout(30_000);
        try (java.io.InputStream in = c.getInputStream()) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } finally {
            c.disconnect();
        }
    }

    @Test
    void shouldNameTheBadSettingBeforeAttaching() {
        Cli.Run r = attach(ProcessHandle.current().pid(), "budget.plugins.methods=com.acme.Plugins#run",
                "budget.plugins.timeout=soon");
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("budget.plugins.timeout=soon"), r.err());
    }

    @Test
    void shouldSayTheTargetIsGone() throws Exception {
        Process p = new ProcessBuilder(Cli.JAVA, "-version").redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        Cli.Run r = attach(p.pid(), BUDGET);
        assertEquals(3, r.exit(), r.toString());
        assertTrue(r.err().contains("no process " + p.pid()), r.err());
    }

    @Test
    void shouldSayTheTargetRefusesAttach() throws Exception {
        try (ForkedServe s = service("-XX:+DisableAttachMechanism")) {
            Cli.Run r = attach(s.process().pid(), BUDGET);
            assertEquals(3, r.exit(), r.toString());
            assertTrue(r.err().contains("does not accept attach"), r.err());
            assertAnswer(s, "/health", 200, "ok");
        }
    }

    @Test
    void shouldAttachNothingWhenTheMetricsPortIsTaken() throws Exception {
        try (ForkedServe s = service();
                java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            List<String> settings = new ArrayList<>(List.of(BUDGET));
            settings.add("http.port=" + taken.getLocalPort());
            Cli.Run r = attach(s.process().pid(), settings.toArray(new String[0]));
            assertEquals(1, r.exit(), r.toString());
            assertTrue(String.join("\n", r.out()).contains("error: not attached: cannot serve metrics"), r.toString());
            assertAnswer(s, "/plugin/spin?400", 200, "spun 400 ms");
            Cli.Run again = attach(s.process().pid(), BUDGET);
            assertEquals(0, again.exit(), again.toString());
        }
    }

    @Test
    void shouldSayWhenNothingIsAttached() throws Exception {
        try (ForkedServe s = service()) {
            Cli.Run r = Cli.agent("detach", Long.toString(s.process().pid()));
            assertEquals(1, r.exit(), r.toString());
            assertTrue(String.join("\n", r.out()).contains("ringfence is not attached to this JVM"), r.toString());
        }
    }
}
