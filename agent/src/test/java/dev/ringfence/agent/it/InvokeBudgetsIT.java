package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InvokeBudgetsIT {
    private static final String B = "dev.ringfence.samples.budget.";

    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @CsvSource({
        "SpinLoop, --cpu, 200ms, CPU_EXCEEDED",
        "SpinLoop, --timeout, 200ms, TIMEOUT",
        "SpinLoop, --fuel, 2000000, FUEL_EXCEEDED",
        "HugeArray, --alloc, 64m, ALLOC_EXCEEDED",
        "HugeMultiArray, --alloc, 64m, ALLOC_EXCEEDED",
        "AllocInJdk, --alloc, 64m, ALLOC_EXCEEDED",
        "OneBigJdkAllocation, --alloc, 64m, ALLOC_EXCEEDED",
        "SwallowInterrupts, --timeout, 300ms, TIMEOUT",
        "CatchThrowableRetry, --timeout, 300ms, TIMEOUT",
        "CatchThrowableRetry, --fuel, 2000000, FUEL_EXCEEDED",
        "FinallyLoop, --timeout, 300ms, TIMEOUT",
        "FinallyReturn, --timeout, 300ms, TIMEOUT",
        "DeepRecursion, --timeout, 10s, STACK_EXCEEDED",
        "RecursionCatchesStackOverflow, --timeout, 10s, STACK_EXCEEDED",
        "SleepForever, --timeout, 300ms, TIMEOUT",
        "BusyInJdk, --cpu, 300ms, CPU_EXCEEDED",
        "RegexBacktracking, --timeout, 500ms, TIMEOUT",
    })
    void shouldEndAHostileHandlerWithItsBudgetsOutcome(String handler, String flag, String value, String outcome) {
        Cli.Run r = Cli.invoke(B + handler, flag, value);
        assertEquals(outcome, r.field("outcome"), r.toString());
        assertEquals(1, r.exit(), r.toString());
        assertEquals(outcome.equals("TIMEOUT") ? "504" : "500", r.field("status"));
        assertNotNull(r.field("message"), "a budget trip says what ran out");
    }

    @Test
    void shouldRunTheSameHandlerManyTimesInOneJvm() {
        Cli.Run r = Cli.invoke("dev.ringfence.samples.Hello", "--repeat", "20", "--body", "x");
        assertEquals(0, r.exit(), r.toString());
        assertEquals(20, r.out().size());
        assertTrue(r.out().stream().allMatch(l -> l.contains("\"outcome\":\"OK\"") && l.contains("hello, x")), r.toString());
    }

    @Test
    void shouldPrintTheFieldsOfTheContract() {
        Cli.Run r = Cli.invoke("dev.ringfence.samples.Hello", "--fuel", "1000000000");
        assertEquals(0, r.exit(), r.toString());
        for (String f : new String[] {"outcome", "status", "body", "wallNanos", "cpuNanos", "allocatedBytes", "fuel"}) {
            assertNotNull(r.field(f), f + " in " + r.lastLine());
        }
        assertEquals("200", r.field("status"));
        assertTrue(Long.parseLong(r.field("fuel")) > 0, r.lastLine());
    }

    @Test
    void shouldSayFuelWasNotCountedWithoutAFuelBudget() {
        Cli.Run r = Cli.invoke("dev.ringfence.samples.Hello");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.lastLine().contains("\"fuel\":null"), "guarded probes count no fuel: " + r.lastLine());
    }

    @Test
    void shouldLeaveLegitimateCodeUntouchedInMeaning() throws Exception {
        Cli.Run r = Cli.invoke("dev.ringfence.samples.LegitimateFeatures");
        assertEquals("OK", r.field("outcome"), r.toString());
        assertEquals(dev.ringfence.samples.LegitimateFeatures.compute(), r.field("body"));
    }

    @Test
    void shouldBindTheHandlersOwnPojosWithJackson() throws Exception {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("invoke", "--handler", Cli.SAMPLES_JAR.toString()));
        try (java.util.stream.Stream<java.nio.file.Path> libs = java.nio.file.Files.list(Cli.SAMPLES_LIBS)) {
            libs.sorted().forEach(p -> {
                args.add("--handler");
                args.add(p.toString());
            });
        }
        args.addAll(java.util.List.of("--class", "dev.ringfence.samples.JsonEcho", "--alloc", "256m", "--body",
                "{\"customer\":\"ada\",\"lines\":[{\"sku\":\"A-1\",\"quantity\":2,\"unitPriceCents\":150}]}"));
        Cli.Run r = Cli.agent(args.toArray(new String[0]));
        assertEquals("OK", r.field("outcome"), r.toString());
        assertTrue(r.field("body").contains("\"ada\"") && r.field("body").contains("A-1"), r.toString());
        assertEquals("200", r.field("status"), "Jackson read the body; a 400 would mean it failed: " + r);
    }

    @Test
    void shouldExitTwoWithOneLineForBadInput() {
        Cli.Run missingClass = Cli.invoke("dev.ringfence.samples.NoSuchHandler");
        assertEquals(2, missingClass.exit());
        assertTrue(missingClass.err().contains("class not found"), missingClass.err());
        Cli.Run notAHandler = Cli.invoke("java.lang.String");
        assertEquals(2, notAHandler.exit());
        assertTrue(notAHandler.err().contains("not a concrete class implementing"), notAHandler.err());
        Cli.Run missingJar = Cli.agent("invoke", "--handler", "/no/such.jar", "--class", "a.B");
        assertEquals(2, missingJar.exit());
        Cli.Run badFlag = Cli.invoke("dev.ringfence.samples.Hello", "--timeout", "soon");
        assertEquals(2, badFlag.exit());
        assertTrue(badFlag.err().contains("not a duration"), badFlag.err());
    }
}
