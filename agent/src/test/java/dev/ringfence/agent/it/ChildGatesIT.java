package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.pipeline.TestJars;
import fixtures.process.RunsNamedHandler;
import fixtures.process.WritesFile;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gates of a process-tier child, through {@code serve} in a forked JVM: a child installs its
 * gates lazily (a gated JDK class is woven when the child first loads it) from the classes the
 * server wove ({@code -Dringfence.gates.woven}), so every denial sample must still end
 * {@code DENIED} there; and no route's policy reaches ringfence's own files (the children's
 * channels, the woven gates), in the server or in a child.
 */
class ChildGatesIT {
    private static final String D = "dev.ringfence.samples.deny.";

    private static Path dir;
    /** Where the fixtures jar is written; JUnit deletes it after the class. */
    @TempDir
    static Path fixturesDir;
    private static Path fixtures;
    private static Path tmp;
    private static Path scratch;
    private static ForkedServe serve;

    private static void route(String name, String settings) throws IOException {
        ForkedServe.route(dir, name, settings, fixtures, Cli.SAMPLES_JAR);
    }

    @BeforeAll
    static void startServer() throws Exception {
        dir = Files.createTempDirectory("ringfence-child-gates-it");
        fixtures = TestJars.jar(fixturesDir.resolve("fixtures.jar"), "child-gates",
                RunsNamedHandler.class, WritesFile.class);
        tmp = Path.of(System.getProperty("java.io.tmpdir")).toRealPath();
        scratch = Files.createTempDirectory("ringfence-child-gates-files").toRealPath();
        route("battery", "handler=fixtures.process.RunsNamedHandler\nisolation=process\ntimeout=20s\nretry.max=0\n"
                + "breaker.failures=1000\n");
        route("writes-child", "handler=fixtures.process.WritesFile\nisolation=process\ntimeout=20s\nretry.max=0\n"
                + "policy.write=" + tmp + "\n");
        route("writes-here", "handler=fixtures.process.WritesFile\nisolation=in-process\npolicy.write=" + tmp + "\n");
        // the start-up cache under the temporary directory, which the routes' policy grants
        serve = ForkedServe.start(dir, Map.of("XDG_CACHE_HOME", scratch.resolve("cache").toString()));
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (serve != null) {
            serve.close();
        }
        ForkedServe.deleteTrees(dir, fixtures.getParent(), scratch);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return serve.getPast504(path);
    }

    private static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static Path workersDir() {
        return tmp.resolve("ringfence-workers-" + serve.process().pid());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"AddShutdownHook", "ApiClassLoaderByReflection", "CommonPoolSubmit", "CustomClassLoaderDefine",
        "FileExists", "GetenvPath", "HttpClientLocal", "LoadLibrary", "MethodHandleExit", "NewUrlClassLoader", "OpenSocket",
        "ParallelStream", "PlatformMBeanServer", "PrivateLookupInUnsafe", "ReadFileInputStream", "ReadFilesReadAllBytes",
        "ReflectiveExit", "ResolveHost", "RuntimeExec", "SetAccessibleJdkField", "SetOut", "SetSystemProperty",
        "SingleThreadExecutor", "StartProcess", "StartThread", "SupplyAsync", "SystemClassLoaderByReflection", "SystemExit",
        "UnsafeTheUnsafe", "WriteTmpFile", "JulHandlerRegistration", "JfrListenerRegistration", "BeansExpression",
        "SocketFactoryRegistration", "XsltTranslet", "JulHandlerByMethodReference", "DefineClassByInvokeWithArguments",
        "ProcessBuilderEnvironment"})
    void shouldDenyInAChildWhatTheServerDenies(String sample) throws Exception {
        HttpResponse<String> r = get("/fn/battery?class=" + q(D + sample));

        assertEquals("DENIED", ForkedServe.outcome(r), r.statusCode() + " " + r.body());
        assertFalse(r.body().contains("escaped"), r.body());
    }

    @Test
    void shouldStartChildrenFromTheGatesTheServerWove() throws Exception {
        assertEquals(200, get("/fn/writes-child?path=" + q(scratch.resolve("started.txt").toString())).statusCode());
        long pid = ForkedServe.number(serve.status("writes-child"), "childPid");
        String command = ProcessHandle.of(pid).orElseThrow().info().commandLine().orElse("");
        assertTrue(command.contains("-Dringfence.gates.lazy=true"), command);
        assertTrue(command.contains("-Dringfence.gates.woven="), command);
        try (Stream<Path> files = Files.walk(workersDir())) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().equals("woven-gates.bin")),
                    "the server wrote its woven gates for its children");
        }
        // the boot classes too: a child writes no jar of its own, which a SIGKILL would leave behind
        Matcher given = Pattern.compile("-Dringfence\\.bootJar=(\\S+)").matcher(command);
        assertTrue(given.find(), command);
        Path bootJar = Path.of(given.group(1));
        assertTrue(bootJar.startsWith(workersDir()) && Files.isRegularFile(bootJar), bootJar.toString());
        List<String> mapped = mappedJars(pid);
        assertTrue(mapped.stream().noneMatch(j -> j.contains("ringfence-boot-")), mapped.toString());
        // a child started from the start-up cache has the entry's boot jar on its boot class path instead
        assertTrue(mapped.contains(bootJar.toString()) || command.contains("-Xbootclasspath/a:"), mapped.toString());
    }

    /** @return the jars a process has mapped (Linux: /proc/PID/maps), each once */
    private static List<String> mappedJars(long pid) throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/" + pid + "/maps"))) {
            return lines.map(l -> l.substring(l.indexOf('/') < 0 ? l.length() : l.indexOf('/')))
                    .filter(f -> f.endsWith(".jar")).distinct().toList();
        }
    }

    @Test
    void shouldKeepAChildsPolicyOutOfTheStartUpCache() throws Exception {
        assertEquals(200, get("/fn/writes-child?path=" + q(scratch.resolve("cached.txt").toString())).statusCode());
        Path cache = scratch.resolve("cache").resolve("ringfence").resolve("startup");
        long pid = ForkedServe.number(serve.status("writes-child"), "childPid");
        List<String> args = List.of(ProcessHandle.of(pid).orElseThrow().info().arguments().orElse(new String[0]));
        List<String> reserved = args.stream().filter(a -> a.startsWith("-Dringfence.reserve="))
                .flatMap(a -> Stream.of(a.substring(a.indexOf('=') + 1).split(java.io.File.pathSeparator))).toList();
        assertTrue(reserved.contains(cache.toString()), "the child reserves what its server reserved: " + args);

        Path planted = cache.resolve("planted.jar");
        HttpResponse<String> write = get("/fn/writes-child?path=" + q(planted.toString()));

        assertEquals("DENIED", ForkedServe.outcome(write), write.body());
        assertFalse(Files.exists(planted), "archives and boot jars there are trusted by the next children");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"writes-here", "writes-child"})
    void shouldKeepEveryPolicyOutOfRingfencesOwnFiles(String route) throws Exception {
        Path mine = scratch.resolve(route + ".txt");
        HttpResponse<String> allowed = get("/fn/" + route + "?path=" + q(mine.toString()));
        assertEquals(200, allowed.statusCode(), allowed.body());
        assertTrue(Files.exists(mine), "the policy grants the temporary directory");
        get("/fn/writes-child?path=" + q(scratch.resolve("warm.txt").toString())); // a child runs: its files exist

        Path channels = workersDir().resolve("writes-child");
        HttpResponse<String> write = get("/fn/" + route + "?path=" + q(channels.resolve("planted.channel").toString()));
        assertEquals("DENIED", ForkedServe.outcome(write), write.body());
        assertFalse(Files.exists(channels.resolve("planted.channel")));

        List<Path> woven;
        try (Stream<Path> files = Files.walk(workersDir())) {
            woven = files.filter(p -> p.getFileName().toString().equals("woven-gates.bin")).toList();
        }
        assertFalse(woven.isEmpty());
        HttpResponse<String> read = get("/fn/" + route + "?read=1&path=" + q(woven.get(0).toString()));
        assertEquals("DENIED", ForkedServe.outcome(read), read.body());
    }
}
