package dev.ringfence.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RouteSettingsTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;

    @TempDir
    Path dir;

    private Path write(String relative, String text) throws Exception {
        Path p = dir.resolve(relative);
        Files.createDirectories(p.getParent());
        return Files.writeString(p, text);
    }

    private Path route(String text) throws Exception {
        return write("hello/route.properties", text);
    }

    @Test
    void shouldCarryDeferSettingsToAChildAsOneArgument() {
        RouteSettings.Defer d = new RouteSettings.Defer(new Budgets(5 * S, 200 * MS, 0, 1 << 20), 50, 3, 2 * S, 25,
                100 * MS);

        assertEquals(d, RouteSettings.Defer.parse(d.toArgument()));
        assertEquals(RouteSettings.Defer.DEFAULT, RouteSettings.Defer.parse("workers=2"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RouteSettings.Defer.parse("workers=2,lanes=3"));
        assertTrue(e.getMessage().contains("lanes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RouteSettings.Defer.parse("workers=two"));
    }

    @Test
    void shouldApplyTheBuiltInDefaultsToARouteThatNamesOnlyItsHandler() throws Exception {
        RouteSettings s = RouteSettings.read(route("handler=com.example.Hello\n"), RouteDefaults.NONE);
        assertEquals("com.example.Hello", s.handler());
        assertEquals(new Budgets(3 * S, 0, 0, 0, 64L << 20), s.budgets());
        assertEquals(500 * MS, s.slowNanos());
        assertEquals(16, s.maxInflight());
        assertEquals(32, s.maxQueue());
        assertEquals(1L << 20, s.maxBodyBytes());
        assertEquals(600 * S, s.idleNanos());
        assertEquals(new RouteSettings.Breaker(5, 3, 30 * S), s.breaker());
        assertEquals(new RouteSettings.Retry(2, 25 * MS, S, false), s.retry());
        assertEquals(new RouteSettings.Pool(2, 16, 10 * S, 30 * S), s.pool());
        assertNull(s.fallback());
        assertEquals(new RouteSettings.QuarantineSettings(1, 0), s.quarantine());
        assertFalse(s.policy().anyNetwork());
        assertFalse(s.policy().threadsAllowed());
        assertFalse(s.policy().mayRead(Path.of("/etc/passwd")));
    }

    @Test
    void shouldReadEveryKeyWithItsUnits() throws Exception {
        Path file = route(String.join("\n", "handler=com.example.Hello$Inner", "timeout=2s", "cpu=200ms",
                "fuel=1_000_000", "alloc=64m", "slow=250ms", "maxInflight=8", "maxQueue=0", "maxBodyBytes=512k",
                "idle=0", "breaker.failures=2", "breaker.successes=1", "breaker.openFor=5s", "retry.max=0",
                "retry.base=10ms", "retry.cap=80ms", "idempotent=true", "pool.min=3", "pool.max=6",
                "pool.interval=1s", "pool.cooldown=0", "fallback.status=200", "fallback.body={\"cached\":true}",
                "fallback.contentType=application/json", "quarantine.after=3", "quarantine.for=10m",
                "policy.read=/srv/data", "policy.write=/srv/out",
                "policy.hosts=api.example.com:443", "policy.env=HOME", "policy.threads=true", "policy.native=true",
                "isolation=process", "native=16m"));
        RouteSettings s = RouteSettings.read(file, RouteDefaults.NONE);
        assertEquals("com.example.Hello$Inner", s.handler());
        assertEquals(new Budgets(2 * S, 200 * MS, 1_000_000, 64L << 20, 16L << 20), s.budgets());
        assertEquals(250 * MS, s.slowNanos());
        assertEquals(8, s.maxInflight());
        assertEquals(0, s.maxQueue());
        assertEquals(512L << 10, s.maxBodyBytes());
        assertEquals(0, s.idleNanos());
        assertEquals(new RouteSettings.Breaker(2, 1, 5 * S), s.breaker());
        assertEquals(new RouteSettings.Retry(0, 10 * MS, 80 * MS, true), s.retry());
        assertEquals(new RouteSettings.Pool(3, 6, S, 0), s.pool());
        assertEquals(new RouteSettings.Fallback(200, "application/json", "{\"cached\":true}"), s.fallback());
        assertEquals(new RouteSettings.QuarantineSettings(3, 600 * S), s.quarantine());
        assertTrue(s.policy().mayRead(Path.of("/srv/data/x")));
        assertTrue(s.policy().mayWrite(Path.of("/srv/out/y")));
        assertFalse(s.policy().mayWrite(Path.of("/srv/data/x")));
        assertTrue(s.policy().mayConnect("api.example.com", 443));
        assertFalse(s.policy().mayConnect("api.example.com", 80));
        assertTrue(s.policy().mayReadEnv("HOME"));
        assertTrue(s.policy().threadsAllowed());
        assertTrue(s.policy().nativeLibrariesAllowed());
    }

    @Test
    void shouldLetARouteOverrideTheGlobalDefaultsKeyByKey() throws Exception {
        RouteDefaults defaults = RouteDefaults.read(write("ringfence.properties", "timeout=5s\nmaxQueue=8\n"));
        RouteSettings s = RouteSettings.read(route("handler=a.B\ntimeout=1s\n"), defaults);
        assertEquals(S, s.budgets().wallNanos(), "the route's own value wins");
        assertEquals(8, s.maxQueue(), "the global value fills in what the route does not set");
        assertEquals(16, s.maxInflight(), "the built-in default fills in what neither sets");
    }

    @Test
    void shouldReplaceRatherThanAppendToAGlobalList() throws Exception {
        RouteDefaults defaults = RouteDefaults.of(Map.of("policy.hosts", "a.example", "policy.env", "HOME,USER"), null);
        RouteSettings s = RouteSettings.of(Map.of("handler", "a.B", "policy.hosts", "b.example", "policy.env", ""),
                null, defaults);
        assertFalse(s.policy().mayConnect("a.example", 80));
        assertTrue(s.policy().mayConnect("b.example", 80));
        assertFalse(s.policy().mayReadEnv("HOME"), "an empty value clears the global list");
    }

    @Test
    void shouldResolveRelativePolicyDirectoriesAgainstTheFolderOfTheFileThatNamesThem() throws Exception {
        RouteDefaults defaults = RouteDefaults.read(write("conf/ringfence.properties", "policy.write=scratch\n"));
        RouteSettings s = RouteSettings.read(route("handler=a.B\npolicy.read=data, ../shared\n"), defaults);
        assertTrue(s.policy().mayRead(dir.resolve("hello/data/f.txt")));
        assertTrue(s.policy().mayRead(dir.resolve("shared/f.txt")));
        assertTrue(s.policy().mayWrite(dir.resolve("conf/scratch/f.txt")));
        assertFalse(s.policy().mayWrite(dir.resolve("hello/scratch/f.txt")));
    }

    @Test
    void shouldGiveAChildItsOwnTmpdirAndPropertiesResolvedAgainstTheRouteFolder() throws Exception {
        RouteSettings s = RouteSettings.read(route("handler=a.B\nisolation=process\npolicy.write=data\ntmpdir=data/tmp\n"
                + "child.properties=lib.path=${folder}/native, lib.name=x.so\n"), RouteDefaults.NONE);
        assertEquals(dir.resolve("hello/data/tmp").toAbsolutePath().normalize(), s.isolation().tmpDir());
        assertEquals(Map.of("lib.path", dir.resolve("hello").toAbsolutePath() + "/native", "lib.name", "x.so"),
                s.isolation().childProperties());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "isolation=process;tmpdir=elsewhere                 | not below a directory of policy.write",
        "isolation=in-process;policy.write=data;tmpdir=data | needs isolation=process",
        "isolation=process;child.properties=java.io.tmpdir=x  | java.io.tmpdir is the JVM",
        "isolation=process;child.properties=novalue          | is not name=value",
        "isolation=auto;child.properties=a.b=c               | need isolation=process",
    })
    void shouldRefuseAChildSettingThatCannotHoldWithItsReason(String lines, String reason) throws Exception {
        Path file = route("handler=a.B\n" + lines.strip().replace(';', '\n') + "\n");
        SettingsException e = assertThrows(SettingsException.class, () -> RouteSettings.read(file, RouteDefaults.NONE));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "timeout=soon        | timeout=soon: not a duration",
        "timeout=0           | timeout=0: must be more than 0",
        "cpu=-5ms            | cpu=-5ms: not a duration",
        "fuel=1.5            | fuel=1.5: not a whole number",
        "alloc=64x           | alloc=64x: not a size",
        "alloc=99999999999g  | alloc=99999999999g: too large",
        "maxInflight=0       | maxInflight=0: must be between 1 and 10000",
        "maxQueue=lots       | maxQueue=lots: not a whole number",
        "maxBodyBytes=4g     | maxBodyBytes=4g: must be at most",
        "breaker.failures=0  | breaker.failures=0: must be between 1 and",
        "breaker.openFor=0s  | breaker.openFor=0s: must be more than 0",
        "retry.max=11        | retry.max=11: must be between 0 and 10",
        "idempotent=yes      | idempotent=yes: must be true or false",
        "policy.threads=TRUE | policy.threads=TRUE: must be true or false",
        "policy.hosts=a:0    | policy.hosts=a:0: 'a:0' is not a host or host:port",
        "policy.hosts=a:http | policy.hosts=a:http: 'a:http' is not a host or host:port",
        "policy.env=A=B      | policy.env=A=B: 'A=B' is not an environment variable name",
        "fallback.status=150 | fallback.status=150: must be between 200 and 599",
        "quarantine.after=-1 | quarantine.after=-1: not a whole number",
        "quarantine.for=ever | quarantine.for=ever: not a duration",
        "cpu.share=half      | cpu.share=half: not a share of the CPU",
        "cpu.share=-1        | cpu.share=-1: not a share of the CPU",
        "cpu.share=150%      | cpu.share=150%: not a share of the CPU",
        "cpu.share=100000    | cpu.share=100000: more than this machine's",
        "alloc.rate=fast     | alloc.rate=fast: not a size",
        "timeout=            | timeout=: no value",
        "handler=9lives      | handler=9lives: not a class name",
        "defer.timeout=0     | defer.timeout=0: must be more than 0",
        "defer.cpu=lots      | defer.cpu=lots: not a duration",
        "defer.alloc=64x     | defer.alloc=64x: not a size",
        "defer.maxQueue=0    | defer.maxQueue=0: must be between 1 and 1000000",
        "defer.workers=257   | defer.workers=257: must be between 1 and 256",
        "defer.drain=later   | defer.drain=later: not a duration",
        "defer.batch.size=0  | defer.batch.size=0: must be between 1 and 1000000",
        "defer.batch.linger=0s | defer.batch.linger=0s: must be more than 0",
    })
    void shouldNameTheFileKeyAndValueOfABadValue(String line, String expected) throws Exception {
        String text = line.startsWith("handler=") ? line : "handler=a.B\n" + line;
        Path file = route(text + "\n");
        SettingsException e = assertThrows(SettingsException.class, () -> RouteSettings.read(file, RouteDefaults.NONE));
        assertTrue(e.getMessage().startsWith(file + ": " + expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
        assertEquals(file, e.file());
        assertEquals(line.substring(0, line.indexOf('=')), e.key());
        assertEquals(line.substring(line.indexOf('=') + 1), e.value());
    }

    @Test
    void shouldRejectAnUnknownKeyAndSuggestTheKnownOneMeant() throws Exception {
        Path file = route("handler=a.B\nmaxqueue=8\n");
        SettingsException e = assertThrows(SettingsException.class, () -> RouteSettings.read(file, RouteDefaults.NONE));
        assertEquals(file + ": maxqueue=8: unknown key (did you mean maxQueue?)", e.getMessage());
        Path typo = route("handler=a.B\nbreaker.failure=8\n");
        assertTrue(assertThrows(SettingsException.class, () -> RouteSettings.read(typo, RouteDefaults.NONE))
                .getMessage().endsWith("breaker.failure=8: unknown key (did you mean breaker.failures?)"));
        Path nonsense = route("handler=a.B\nfrobnicate=1\n");
        String m = assertThrows(SettingsException.class, () -> RouteSettings.read(nonsense, RouteDefaults.NONE))
                .getMessage();
        assertTrue(m.contains("frobnicate=1: unknown key (known: handler, timeout,"), m);
    }

    @Test
    void shouldRejectAKeyWrittenTwiceInOneFile() throws Exception {
        Path file = route("handler=a.B\ntimeout=1s\ntimeout=2s\n");
        SettingsException e = assertThrows(SettingsException.class, () -> RouteSettings.read(file, RouteDefaults.NONE));
        assertEquals(file + ": timeout=2s: set twice in this file (first as timeout=1s)", e.getMessage());
    }

    @Test
    void shouldRequireAHandlerInTheRouteAndRefuseOneInTheDefaults() throws Exception {
        Path file = route("timeout=1s\n");
        assertTrue(assertThrows(SettingsException.class, () -> RouteSettings.read(file, RouteDefaults.NONE))
                .getMessage().startsWith(file + ": no handler"));
        Path global = write("ringfence.properties", "handler=a.B\n");
        assertTrue(assertThrows(SettingsException.class, () -> RouteDefaults.read(global)).getMessage()
                .startsWith(global + ": handler=a.B: a handler belongs to one route"));
    }

    @Test
    void shouldNameTheGlobalFileWhenAGlobalDefaultIsBad() throws Exception {
        Path global = write("ringfence.properties", "slow=later\n");
        SettingsException e = assertThrows(SettingsException.class, () -> RouteDefaults.read(global));
        assertEquals(global, e.file());
        assertTrue(e.getMessage().startsWith(global + ": slow=later: not a duration"), e.getMessage());
    }

    @Test
    void shouldSizeThePoolFromMaxInflightUnlessTold() throws Exception {
        RouteSettings one = RouteSettings.of(Map.of("handler", "a.B", "maxInflight", "1"), null, RouteDefaults.NONE);
        assertEquals(new RouteSettings.Pool(1, 1, 10 * S, 30 * S), one.pool());
        RouteSettings four = RouteSettings.of(Map.of("handler", "a.B", "maxInflight", "4"), null, RouteDefaults.NONE);
        assertEquals(2, four.pool().min());
        assertEquals(4, four.pool().max());
    }

    @Test
    void shouldNameBothFilesWhenSettingsContradictEachOther() throws Exception {
        Path global = write("ringfence.properties", "pool.max=12\n");
        Path file = route("handler=a.B\nmaxInflight=4\n");
        SettingsException e = assertThrows(SettingsException.class,
                () -> RouteSettings.read(file, RouteDefaults.read(global)));
        assertEquals(global + ": pool.max=12: more workers than maxInflight=4 (set in " + file + ") lets run at once",
                e.getMessage());
        Path minOverMax = route("handler=a.B\npool.min=5\npool.max=3\n");
        assertTrue(assertThrows(SettingsException.class, () -> RouteSettings.read(minOverMax, RouteDefaults.NONE))
                .getMessage().endsWith("pool.min=5: more than pool.max=3 (set in " + minOverMax + ")"));
        Path capUnderBase = route("handler=a.B\nretry.base=2s\n");
        assertTrue(assertThrows(SettingsException.class, () -> RouteSettings.read(capUnderBase, RouteDefaults.NONE))
                .getMessage().endsWith("retry.cap=1s: less than retry.base=2s (set in " + capUnderBase + ")"));
    }

    @Test
    void shouldCheckTheDefaultsAsARouteOfTheirOwn() throws Exception {
        Path global = write("ringfence.properties", "pool.min=20\n");
        SettingsException e = assertThrows(SettingsException.class, () -> RouteDefaults.read(global));
        assertEquals(global + ": pool.min=20: more than pool.max, which is maxInflight=16 (built-in default)",
                e.getMessage());
    }

    @Test
    void shouldOfferAFallbackResponseOnlyWhenItsStatusIsSet() throws Exception {
        RouteSettings s = RouteSettings.of(Map.of("handler", "a.B", "fallback.status", "503", "fallback.body", "busy"),
                null, RouteDefaults.NONE);
        Response r = s.fallback().response();
        assertEquals(503, r.status());
        assertEquals("busy", r.bodyAsString());
        assertEquals("text/plain; charset=utf-8", r.contentType());
        Path file = route("handler=a.B\nfallback.body=busy\n");
        assertTrue(assertThrows(SettingsException.class, () -> RouteSettings.read(file, RouteDefaults.NONE))
                .getMessage().startsWith(file + ": fallback.body=busy: needs fallback.status"));
    }

    @Test
    void shouldSayWhenTheFileIsMissingOrNotText() throws Exception {
        Path missing = dir.resolve("gone/route.properties");
        SettingsException e = assertThrows(SettingsException.class, () -> RouteSettings.read(missing, RouteDefaults.NONE));
        assertEquals(missing + ": no such file", e.getMessage());
        assertNull(e.key());
        Path binary = dir.resolve("route.properties");
        Files.write(binary, new byte[] {'a', '=', (byte) 0xC3, (byte) 0x28});
        assertEquals(binary + ": not UTF-8 text",
                assertThrows(SettingsException.class, () -> RouteSettings.read(binary, RouteDefaults.NONE)).getMessage());
        Path unicode = route("handler=a.B\nfallback.status=200\nfallback.body=h\u00e9llo \\u00e9\n");
        assertEquals("h\u00e9llo \u00e9", RouteSettings.read(unicode, RouteDefaults.NONE).fallback().body(),
                "UTF-8 text and escapes both read");
    }

    @Test
    void shouldReadACpuShareInCoresOrAsAPercentageOfTheMachine() {
        int cores = Runtime.getRuntime().availableProcessors();
        assertEquals(0, RouteSettings.of(Map.of("handler", "a.B"), null, RouteDefaults.NONE).cpuShare(), "off by default");
        assertEquals(0.5, RouteSettings.of(Map.of("handler", "a.B", "cpu.share", "0.5"), null, RouteDefaults.NONE).cpuShare());
        assertEquals(cores / 2.0, RouteSettings.of(Map.of("handler", "a.B", "cpu.share", "50%"), null, RouteDefaults.NONE)
                .cpuShare(), 1e-9);
        assertEquals(0, RouteSettings.of(Map.of("handler", "a.B", "cpu.share", "off"), null, RouteDefaults.NONE).cpuShare());
        assertEquals(0, RouteSettings.of(Map.of("handler", "a.B"), null, RouteDefaults.NONE).allocRate(), "off by default");
        assertEquals(64L << 20, RouteSettings.of(Map.of("handler", "a.B", "alloc.rate", "64m"), null, RouteDefaults.NONE)
                .allocRate());
    }

    @Test
    void shouldGiveDeferredWorkItsOwnBudgetsAndBoundsWithDefaults() {
        RouteSettings plain = RouteSettings.of(Map.of("handler", "a.B", "cpu", "10ms"), null, RouteDefaults.NONE);
        assertEquals(RouteSettings.Defer.DEFAULT, plain.defer(), "the route's cpu does not reach deferred work");
        assertEquals(30 * S, plain.defer().budgets().wallNanos());
        assertEquals(1000, plain.defer().maxQueue());

        RouteSettings s = RouteSettings.of(Map.of("handler", "a.B", "defer.timeout", "2s", "defer.cpu", "50ms",
                "defer.alloc", "1m", "defer.maxQueue", "7", "defer.workers", "1", "defer.drain", "0s", "defer.batch.size",
                "20", "defer.batch.linger", "250ms"), null, RouteDefaults.NONE);
        assertEquals(new RouteSettings.Defer(new Budgets(2 * S, 50 * MS, 0, 1L << 20), 7, 1, 0, 20, 250 * MS), s.defer());
    }

    @Test
    void shouldStartInProcessUnderAutoWithTheDefaultCapsUnlessToldOtherwise() {
        RouteSettings s = RouteSettings.of(Map.of("handler", "a.B"), null, RouteDefaults.NONE);

        assertEquals(RouteSettings.Isolation.AUTO, s.isolation());
        assertEquals("auto", s.isolation().tier());
        assertTrue(s.isolation().auto());
        assertFalse(s.isolation().process());
    }

    @Test
    void shouldReadInProcessAsATierThatNeverMoves() {
        RouteSettings s = RouteSettings.of(Map.of("handler", "a.B", "isolation", "in-process"), null, RouteDefaults.NONE);

        assertEquals(RouteSettings.Isolation.IN_PROCESS, s.isolation());
        assertFalse(s.isolation().auto());
    }

    @Test
    void shouldReadTheProcessTierAndItsCaps() {
        RouteSettings s = RouteSettings.of(Map.of("handler", "a.B", "isolation", "process", "heap", "64m", "native", "8m",
                "metaspace", "32m"), null, RouteDefaults.NONE);

        assertEquals(new RouteSettings.Isolation(RouteSettings.Isolation.Mode.PROCESS, 64L << 20, 8L << 20, 32L << 20), s.isolation());
        assertEquals("process", s.isolation().tier());
    }

    @Test
    void shouldCountChildrenInTheProcessPoolWithConcurrencyRequestsEach() {
        RouteSettings s = RouteSettings.of(Map.of("handler", "a.B", "isolation", "process", "concurrency", "3",
                "maxInflight", "9"), null, RouteDefaults.NONE);

        assertEquals(3, s.isolation().concurrency());
        assertEquals(1, s.pool().min());
        assertEquals(3, s.pool().max(), "min(4, maxInflight / concurrency)");
        assertEquals(2, RouteSettings.of(Map.of("handler", "a.B"), null, RouteDefaults.NONE).pool().min(),
                "in-process pools keep their own defaults");
    }

    @Test
    void shouldRefuseMoreChildrenTimesConcurrencyThanMaxInflight() {
        SettingsException tooMany = assertThrows(SettingsException.class, () -> RouteSettings.of(Map.of("handler",
                "a.B", "isolation", "process", "concurrency", "2", "maxInflight", "4", "pool.max", "3"), null,
                RouteDefaults.NONE));
        assertTrue(tooMany.getMessage().contains("pool.max=3: more children (times concurrency)"), tooMany.getMessage());
        SettingsException zero = assertThrows(SettingsException.class, () -> RouteSettings.of(Map.of("handler", "a.B",
                "isolation", "process", "concurrency", "0"), null, RouteDefaults.NONE));
        assertTrue(zero.getMessage().contains("concurrency=0"), zero.getMessage());
        SettingsException wide = assertThrows(SettingsException.class, () -> RouteSettings.of(Map.of("handler", "a.B",
                "isolation", "process", "concurrency", "8", "maxInflight", "4"), null, RouteDefaults.NONE));
        assertTrue(wide.getMessage().contains("concurrency=8: more requests per child"), wide.getMessage());
    }

    @Test
    void shouldTakeTheTierFromTheGlobalDefaultsAndLetARouteGoBack() {
        RouteDefaults process = RouteDefaults.of(Map.of("isolation", "process", "heap", "128m"), null);

        assertTrue(RouteSettings.of(Map.of("handler", "a.B"), null, process).isolation().process());
        RouteSettings back = RouteSettings.of(Map.of("handler", "a.B", "isolation", "in-process"), null, process);
        assertFalse(back.isolation().process());
        assertEquals(128L << 20, back.isolation().heapBytes());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "isolation=thread|isolation=thread: not a tier (auto, in-process or process)",
        "isolation=Auto|isolation=Auto: not a tier",
        "isolation=|isolation=: not a tier",
        "heap=4m|heap=4m: less than 8m",
        "heap=lots|heap=lots: not a size",
        "native=0|native=0: must be more than 0",
        "metaspace=8m|metaspace=8m: less than 16m"})
    void shouldRefuseABadTierOrCapNamingTheKey(String line, String expected) throws Exception {
        Path file = route("handler=a.B\n" + line + "\n");

        SettingsException e = assertThrows(SettingsException.class, () -> RouteSettings.read(file, RouteDefaults.NONE));

        assertTrue(e.getMessage().startsWith(file + ": " + expected), e.getMessage());
        assertEquals(line.substring(0, line.indexOf('=')), e.key());
    }

    @Test
    void shouldRefuseNativeLibrariesOnARouteThatRunsInThisJvm() throws Exception {
        Path file = route("handler=a.B\npolicy.native=true\nisolation=in-process\n");

        SettingsException e = assertThrows(SettingsException.class, () -> RouteSettings.read(file, RouteDefaults.NONE));

        assertEquals("policy.native", e.key());
        assertTrue(e.getMessage().contains("native libraries are allowed only in the process tier"), e.getMessage());
        assertTrue(e.getMessage().contains("isolation=process"), e.getMessage());
    }

    @Test
    void shouldLetAnAutoRouteAllowNativeLibrariesSinceItMovesToAChildWhenItAsks() {
        RouteSettings s = RouteSettings.of(Map.of("handler", "a.B", "policy.native", "true"), null, RouteDefaults.NONE);

        assertTrue(s.isolation().auto());
        assertTrue(s.needsProcess());
    }

    @Test
    void shouldSayThatARouteAllowingNativeLibrariesNeedsAProcess() {
        RouteSettings natives = RouteSettings.of(Map.of("handler", "a.B", "isolation", "process", "policy.native", "true"),
                null, RouteDefaults.NONE);
        RouteSettings plain = RouteSettings.of(Map.of("handler", "a.B", "isolation", "process"), null, RouteDefaults.NONE);

        assertTrue(natives.needsProcess());
        assertTrue(natives.policy().nativeLibrariesAllowed());
        assertFalse(plain.needsProcess());
    }

    @Test
    void shouldMakeNativeThePerInvocationNativeMemoryBudgetInBothTiers() {
        RouteSettings here = RouteSettings.of(Map.of("handler", "a.B", "native", "8m"), null, RouteDefaults.NONE);
        RouteSettings child = RouteSettings.of(Map.of("handler", "a.B", "isolation", "process", "native", "8m"), null,
                RouteDefaults.NONE);

        assertEquals(8L << 20, here.budgets().nativeBytes());
        assertEquals(8L << 20, child.budgets().nativeBytes());
        assertEquals(8L << 20, child.isolation().nativeBytes());
    }

    @Test
    void shouldSeeAChangeOfTierAsAChangeOfSettings() {
        RouteSettings a = RouteSettings.of(Map.of("handler", "a.B"), null, RouteDefaults.NONE);
        RouteSettings b = RouteSettings.of(Map.of("handler", "a.B", "isolation", "process"), null, RouteDefaults.NONE);

        assertTrue(Route.same(a, RouteSettings.of(Map.of("handler", "a.B"), null, RouteDefaults.NONE)));
        assertFalse(Route.same(a, b));
    }
}
