package dev.ringfence.agent.cli;

import dev.ringfence.limiter.InstrumentationException;
import dev.ringfence.limiter.Instrumenter;
import dev.ringfence.limiter.Metering;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * {@code check JAR}: instruments and verifies every class of a jar under the default policy,
 * lists the classes that mention denied APIs, and ends with
 * {@code classes=<n> instrumented=<n> failed=<k>}.
 */
final class CheckCommand {
    private CheckCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.size() != 1) {
            throw new UsageException("usage: check JAR");
        }
        Path jar = Path.of(args.get(0));
        if (!Files.isRegularFile(jar)) {
            throw new UsageException("no such jar: " + jar);
        }
        // both flavours of probes: a route with a fuel budget counts, the others guard
        Instrumenter counting = new Instrumenter(Metering.COUNT);
        Instrumenter guarded = new Instrumenter(Metering.GUARD);
        int classes = 0;
        int instrumented = 0;
        int failed = 0;
        int mentioning = 0;
        try (JarFile jf = new JarFile(jar.toFile())) {
            Enumeration<JarEntry> entries = jf.entries();
            while (entries.hasMoreElements()) {
                JarEntry e = entries.nextElement();
                String name = e.getName();
                if (e.isDirectory() || !name.endsWith(".class") || name.endsWith("module-info.class")) {
                    continue;
                }
                classes++;
                byte[] bytes;
                try (InputStream in = jf.getInputStream(e)) {
                    bytes = in.readAllBytes();
                }
                try {
                    Instrumenter.Result r = counting.instrument(bytes);
                    List<String> problems = Instrumenter.verify(r.bytes());
                    if (problems.isEmpty()) {
                        problems = Instrumenter.verify(guarded.instrument(bytes).bytes());
                        if (!problems.isEmpty()) {
                            problems = List.of("with guarded probes: " + problems.get(0));
                        }
                    }
                    if (!problems.isEmpty()) {
                        failed++;
                        out.println("FAILED " + name + ": " + problems.get(0));
                        continue;
                    }
                    instrumented++;
                    if (!r.deniedApis().isEmpty()) {
                        mentioning++;
                        out.println("denied-api " + r.className() + ": " + String.join(", ", r.deniedApis()));
                    }
                } catch (InstrumentationException | IllegalArgumentException ex) {
                    failed++;
                    out.println("FAILED " + name + ": " + ex.getMessage());
                }
            }
        } catch (IOException e) {
            throw new UsageException("cannot read jar " + jar + ": " + e.getMessage());
        }
        out.println("denied-api-classes=" + mentioning);
        out.println("classes=" + classes + " instrumented=" + instrumented + " failed=" + failed);
        return failed == 0 ? 0 : 1;
    }
}
