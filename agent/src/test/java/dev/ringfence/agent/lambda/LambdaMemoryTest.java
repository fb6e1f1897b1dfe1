package dev.ringfence.agent.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ringfence.agent.pipeline.RouteSettings;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code getMemoryLimitInMB} answers outside a child, and how a child's heap cap is read. */
class LambdaMemoryTest {
    @Test
    void shouldAnswerTheRoutesMemorySettingElseLambdasDefaultInTheHost() {
        assertEquals(512, LambdaMemory.megabytes(new RouteSettings.FunctionRuntime(false, 512L << 20)));
        assertEquals(128, LambdaMemory.megabytes(RouteSettings.FunctionRuntime.JAVA));
    }

    @Test
    void shouldReadTheLastHeapCapOfAJvmsOptions() {
        assertEquals(64L << 20, LambdaMemory.heapCap(List.of("-Xmx1g", "-Xss1m", "-Xmx67108864")));
        assertEquals(2L << 30, LambdaMemory.heapCap(List.of("-Xmx2G")));
        assertEquals(-1, LambdaMemory.heapCap(List.of("-Xms64m")));
        assertEquals(-1, LambdaMemory.heapCap(List.of("-Xmxlots")));
    }
}
