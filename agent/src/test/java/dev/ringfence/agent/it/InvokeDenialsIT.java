package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every denial sample, through the real agent jar: each must end DENIED, never "escaped". */
class InvokeDenialsIT {
    private static final String D = "dev.ringfence.samples.deny.";

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"AddShutdownHook", "ApiClassLoaderByReflection", "CommonPoolSubmit", "CustomClassLoaderDefine",
        "FileExists", "GetenvPath", "HttpClientLocal", "LoadLibrary", "MethodHandleExit", "NewUrlClassLoader", "OpenSocket",
        "ParallelStream", "PlatformMBeanServer", "PrivateLookupInUnsafe", "ReadFileInputStream", "ReadFilesReadAllBytes",
        "ReflectOnSandboxThread", "ReflectiveExit", "ResolveHost", "RuntimeExec", "SetAccessibleJdkField", "SetOut",
        "SetSystemProperty", "SingleThreadExecutor", "StartProcess", "StartThread", "SupplyAsync",
        "SystemClassLoaderByReflection", "SystemExit", "UnsafeTheUnsafe", "WriteTmpFile", "CallbackFromGate",
        "JulHandlerRegistration", "JfrListenerRegistration", "BeansExpression", "SocketFactoryRegistration",
        "HostProperty", "XsltTranslet", "LookupInProbes", "HostPropertyByMethodReference", "JulHandlerByMethodReference",
        "DefineClassByInvokeWithArguments", "ProcessBuilderEnvironment"})
    void shouldDenyEveryPathToADeniedApi(String handler) {
        Cli.Run r = Cli.invoke(D + handler, "--timeout", "10s");
        assertEquals("DENIED", r.field("outcome"), r.toString());
        assertEquals(1, r.exit(), r.toString());
        assertEquals("500", r.field("status"));
        assertTrue(r.field("message").startsWith("denied: "), r.field("message"));
        assertFalse(r.lastLine().contains("escaped"), r.toString());
    }

    @Test
    void shouldNotHandADynamicConstantAProbesMethod(@TempDir Path dir) throws Exception {
        String handler = CraftedHandlers.guardSiteConstant(dir);
        Cli.Run r = Cli.agent("invoke", "--handler", dir.toString(), "--class", handler, "--no-cache", "--timeout", "10s");
        assertEquals("DENIED", r.field("outcome"), r.toString());
        assertTrue(r.field("message").contains("dev.ringfence.limiter.Probes"), r.field("message"));
        assertFalse(r.lastLine().contains("escaped"), r.toString());
    }

    @Test
    void shouldNotReadAHostJarThroughAJarUrlTheJvmKeepsOpen() {
        // the agent's own jar: the host has read its manifest through a jar: URL by now
        Cli.Run r = Cli.invoke(D + "JarUrlOfHostJar", "--timeout", "10s", "--body", Cli.AGENT_JAR.toAbsolutePath().toString());
        assertEquals("DENIED", r.field("outcome"), r.toString());
        assertTrue(r.field("message").contains("JarURLConnection"), r.field("message"));
        assertFalse(r.lastLine().contains("escaped"), r.toString());
    }

    @Test
    void shouldRunNoHandlerCodeUngatedOnTheFinalizerThread() {
        Cli.Run r = Cli.invoke(D + "InheritedFinalizer", "--timeout", "10s");
        assertEquals("OK", r.field("outcome"), r.toString());
        assertFalse(r.lastLine().contains("escaped"), r.toString());
    }

    @Test
    void shouldLetAWellBehavedHandlerReflectOnItself() {
        Cli.Run r = Cli.invoke(D + "WellBehaved", "--timeout", "10s");
        assertEquals("OK", r.field("outcome"), r.toString());
        assertEquals(0, r.exit());
    }

    @Test
    void shouldNameTheDeniedApi() {
        assertTrue(Cli.invoke(D + "SystemExit").field("message").contains("Runtime.exit"));
        assertTrue(Cli.invoke(D + "StartThread").field("message").contains("Thread.start"));
    }

    @Test
    void shouldKeepTheJvmAliveWhenAHandlerCallsExit() {
        Cli.Run r = Cli.invoke(D + "SystemExit", "--repeat", "3");
        assertEquals(3, r.out().size(), "all three invocations ran: " + r);
        assertEquals(1, r.exit());
    }

    @Test
    void shouldAllowFilesBelowADirectoryThePolicyGrants(@TempDir Path dir) throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.properties"), "policy.write=/tmp\n");
        Cli.Run r = Cli.invoke(D + "WriteTmpFile", "--policy", policy.toString());
        assertEquals("OK", r.field("outcome"), r.toString());
    }
}
