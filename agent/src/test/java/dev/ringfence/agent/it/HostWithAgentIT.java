package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostWithAgentIT {
    private static Cli.Run host(String agentArgs, String... handlers) {
        String cp = Cli.AGENT_JAR + File.pathSeparator + Path.of("target", "test-classes").toAbsolutePath();
        List<String> cmd = new java.util.ArrayList<>(List.of(Cli.JAVA, "-Xmx256m",
                "-javaagent:" + Cli.AGENT_JAR + (agentArgs == null ? "" : "=" + agentArgs), "-cp", cp,
                HostMain.class.getName(), Cli.SAMPLES_JAR.toString()));
        cmd.addAll(List.of(handlers));
        return Cli.exec(cmd, 120);
    }

    @Test
    void shouldDenyHandlersButLeaveTheHostAlone() {
        Cli.Run r = host(null, "dev.ringfence.samples.deny.SystemExit", "dev.ringfence.samples.deny.StartThread",
                "dev.ringfence.samples.deny.ReadFileInputStream", "dev.ringfence.samples.Hello");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("host-read=host data"), r.toString());
        assertTrue(r.out().contains("host-thread=ran"), r.toString());
        assertTrue(r.out().contains("dev.ringfence.samples.deny.SystemExit=DENIED"), r.toString());
        assertTrue(r.out().contains("dev.ringfence.samples.deny.StartThread=DENIED"), r.toString());
        assertTrue(r.out().contains("dev.ringfence.samples.deny.ReadFileInputStream=DENIED"), r.toString());
        assertTrue(r.out().contains("dev.ringfence.samples.Hello=OK"), r.toString());
        assertTrue(r.out().contains("host-alive"), r.toString());
    }

    @Test
    void shouldLetAHostsOwnSandboxThreadLoadClassesBeforeAnyInvocation() {
        String cp = Cli.AGENT_JAR + File.pathSeparator + Path.of("target", "test-classes").toAbsolutePath();
        Cli.Run r = Cli.exec(List.of(Cli.JAVA, "-Xmx256m", "-javaagent:" + Cli.AGENT_JAR, "-cp", cp,
                SandboxThreadHostMain.class.getName()), 120);
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("loaded=yes"), r.toString());
    }

    @Test
    void shouldReportBadAgentArgumentsWithoutHurtingTheHost() {
        Cli.Run r = host("frobnicate=yes");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.err().contains("ringfence: the agent did not start") && r.err().contains("frobnicate"), r.err());
        assertTrue(r.out().contains("host-alive"), r.toString());
    }

    @Test
    void shouldRefuseToRunHandlersUngatedWhenGatesAreOff() {
        Cli.Run r = host("gates=off", "dev.ringfence.samples.Hello");
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.err().contains("the capability gates are not installed"), r.err());
    }

    @Test
    void shouldServeRoutesInTheHostAndLetItCallThemInProcess(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path hello = java.nio.file.Files.createDirectories(dir.resolve("hello"));
        java.nio.file.Files.writeString(hello.resolve("route.properties"), "handler=dev.ringfence.samples.Hello\n");
        java.nio.file.Files.copy(Cli.SAMPLES_JAR, hello.resolve("samples.jar"));
        String cp = Cli.AGENT_JAR + File.pathSeparator + Path.of("target", "test-classes").toAbsolutePath();
        Cli.Run r = Cli.exec(List.of(Cli.JAVA, "-Xmx256m", "-javaagent:" + Cli.AGENT_JAR + "=serve=" + dir + ",port=0",
                "-cp", cp, ServingHostMain.class.getName(), "hello"), 120);
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("outcome=OK"), r.toString());
        assertTrue(r.out().contains("body=hello, host"), r.toString());
        assertTrue(r.out().contains("jmx-requests=1"), r.toString());
        assertTrue(r.err().contains("\"event\":\"listening\",\"url\":\"http://127.0.0.1:"), r.err());
    }
}
