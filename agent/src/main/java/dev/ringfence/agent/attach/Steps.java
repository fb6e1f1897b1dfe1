package dev.ringfence.agent.attach;

import dev.ringfence.boot.BudgetHook;
import dev.ringfence.boot.BudgetProbes;
import java.io.Closeable;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The two steps, once the bridge is on the boot class path (this class links against it, so it
 * must not load before). Detach proves that the attach's class loader was collected.
 */
final class Steps {
    /** The first line of an attach that installed nothing. */
    static final String NOT_ATTACHED = "error: not attached: ";

    /** How long a detach waits for the attach's loader to be collected. */
    private static final long COLLECT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private Steps() {
    }

    /**
     * @param inst the instrumentation service
     * @param settings the checked settings
     * @return the attach report
     */
    static List<String> attach(Instrumentation inst, AttachSettings settings) {
        if (BudgetHook.class.getClassLoader() != null) {
            return List.of(NOT_ATTACHED + "the bridge classes did not load from the boot class path");
        }
        return AttachedRuntime.attach(inst, settings);
    }

    /** @return the detach report, ending with whether the attach's loader was collected */
    static List<String> detach() {
        List<String> report = new ArrayList<>();
        WeakReference<ClassLoader> loader = detachInstalled(report);
        if (loader == null) {
            return report;
        }
        long start = System.nanoTime();
        while (loader.get() != null && System.nanoTime() - start < COLLECT_NANOS) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        report.add(loader.get() == null
                ? "the agent's class loader was collected (" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)
                        + " ms after the detach)"
                : "error: the agent's class loader was not collected within 10 s");
        return report;
    }

    /** Detaches the installed runtime; returns a weak reference to its loader, or null when none is attached. */
    private static WeakReference<ClassLoader> detachInstalled(List<String> report) {
        BudgetHook hook = BudgetProbes.installed();
        if (hook == null) {
            report.add("error: ringfence is not attached to this JVM");
            return null;
        }
        ClassLoader l = hook.getClass().getClassLoader();
        report.add(hook.detach());
        if (l instanceof Closeable) {
            try {
                ((Closeable) l).close();
            } catch (IOException e) {
                report.add("error: cannot close the agent's class loader: " + e);
            }
        }
        return new WeakReference<>(l);
    }
}
