package dev.ringfence.agent.lambda;

import dev.ringfence.agent.gates.Gates;
import dev.ringfence.agent.pipeline.RouteSettings;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;

/**
 * What a Java Lambda handler's {@code Context.getMemoryLimitInMB()} answers: the route's {@code memory}
 * setting in MiB when it has one; else, in a process-tier child, the child's heap cap (the route's
 * {@code heap}, which the child runs under as {@code -Xmx}); else Lambda's default, 128.
 *
 * <p>In-process, a route's handlers share the host's heap, which says nothing about one route, hence
 * the default there. In a child the {@code memory} setting is not known (the child is told its
 * budgets, not the route's settings): the heap cap is what it answers. Stateless.
 */
public final class LambdaMemory {
    private LambdaMemory() {
    }

    /**
     * @param runtime the route's {@code runtime} and {@code memory} settings
     * @return the memory size in MiB, at least 1
     */
    public static int megabytes(RouteSettings.FunctionRuntime runtime) {
        if (runtime.memoryBytes() != 0) {
            return runtime.memoryMegabytes();
        }
        if (Gates.nativeLibrariesHonoured()) { // this JVM is a process-tier child: its -Xmx is the route's heap
            long heap = heapCap(ManagementFactory.getRuntimeMXBean().getInputArguments());
            if (heap > 0) {
                return (int) Math.max(1, Math.min(Integer.MAX_VALUE, heap >> 20));
            }
        }
        return RouteSettings.FunctionRuntime.DEFAULT_MEMORY_MB;
    }

    /**
     * @param jvmArguments a JVM's options
     * @return the last {@code -Xmx} among them in bytes, or -1 when there is none or it does not parse
     */
    static long heapCap(List<String> jvmArguments) {
        long cap = -1;
        for (String a : jvmArguments) {
            if (a.startsWith("-Xmx") && a.length() > 4) {
                cap = size(a.substring(4).toLowerCase(Locale.ROOT));
            }
        }
        return cap;
    }

    private static long size(String s) {
        int shift = s.endsWith("k") ? 10 : s.endsWith("m") ? 20 : s.endsWith("g") ? 30 : s.endsWith("t") ? 40 : 0;
        String digits = shift == 0 ? s : s.substring(0, s.length() - 1);
        try {
            long n = Long.parseLong(digits);
            return n < 0 || n > (Long.MAX_VALUE >> shift) ? -1 : n << shift;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
