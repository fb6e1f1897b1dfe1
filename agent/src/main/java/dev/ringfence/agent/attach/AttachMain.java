package dev.ringfence.agent.attach;

import dev.ringfence.agent.gates.Gates;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The attach and detach steps inside the target JVM, in the attach class loader
 * ({@link IsolatedStart}). Arguments: {@code attach:DIR} (DIR holds {@code settings.properties}
 * written by the CLI) or {@code detach:DIR}; the report goes to {@code DIR/report.txt}, one line
 * per fact, lines starting {@code error:} for failures, for the CLI to print.
 */
public final class AttachMain {
    /** The classes put on the boot class path: the bridge instrumented host code calls. */
    public static final List<String> BOOT_CLASSES = List.of("dev/ringfence/boot/BudgetProbes.class",
            "dev/ringfence/boot/BudgetHook.class");

    private AttachMain() {
    }

    /**
     * Runs one step and writes its report.
     *
     * @param args {@code attach:DIR} or {@code detach:DIR}
     * @param inst the instrumentation service
     * @return true when this loader must stay open (an attach that installed the runtime)
     */
    public static boolean run(String args, Instrumentation inst) {
        int colon = args.indexOf(':');
        String mode = colon < 0 ? args : args.substring(0, colon);
        Path dir = Path.of(colon < 0 ? "." : args.substring(colon + 1));
        List<String> report = new ArrayList<>();
        boolean keep = false;
        try {
            onBootClassPath(inst);
            if (mode.equals("attach")) {
                AttachSettings settings = AttachSettings.parse(AttachSettings.load(dir.resolve("settings.properties")));
                report.addAll(Steps.attach(inst, settings));
                keep = report.stream().noneMatch(l -> l.startsWith(Steps.NOT_ATTACHED));
            } else if (mode.equals("detach")) {
                report.addAll(Steps.detach());
            } else {
                report.add("error: unknown attach step '" + mode + "'");
            }
        } catch (RuntimeException | IOException | LinkageError e) {
            report.add("error: " + e);
        }
        try {
            Files.write(dir.resolve("report.txt"), report);
        } catch (IOException e) {
            System.err.println("ringfence: cannot write the " + mode + " report: " + e + "\n" + String.join("\n", report));
        }
        return keep;
    }

    /** Appends the bridge classes to the boot class path, once per JVM (they stay after a detach). */
    private static void onBootClassPath(Instrumentation inst) throws IOException {
        try {
            Class.forName("dev.ringfence.boot.BudgetProbes", false, null);
        } catch (ClassNotFoundException e) {
            Gates.appendToBootClassPath(inst, BOOT_CLASSES);
        }
    }
}
