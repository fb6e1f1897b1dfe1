package dev.ringfence.agent.cli;

import dev.ringfence.agent.pipeline.HandlerStartException;
import dev.ringfence.agent.pipeline.InProcessRoute;
import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.api.Budgets;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.Metering;
import dev.ringfence.limiter.Policy;
import dev.ringfence.loader.HandlerVersion;
import dev.ringfence.loader.InstrumentMode;
import dev.ringfence.loader.InstrumentedClassCache;
import dev.ringfence.loader.LoadOptions;
import dev.ringfence.loader.VersionException;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code demo [JAR [LIB_DIR]]}: runs every handler class of a jar once, under the default
 * budgets and policy, and prints one JSON line per handler. With no arguments it runs the
 * samples the build leaves in {@code samples/target}: ordinary handlers, one per budget and one
 * per denial.
 */
final class DemoCommand {
    static final Path DEFAULT_JAR = Path.of("samples/target/ringfence-samples-" + Main.version() + ".jar");
    static final Path DEFAULT_LIBS = Path.of("samples/target/handler-libs");
    /** The demo's budgets: generous for well-behaved code, small enough to end a runaway fast. */
    static final Budgets BUDGETS = new Budgets(2_000_000_000L, 500_000_000L, 0, 64L << 20);

    private DemoCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.size() > 2) {
            throw new UsageException("usage: demo [JAR [LIB_DIR]]");
        }
        Path jar = args.isEmpty() ? DEFAULT_JAR : Path.of(args.get(0));
        Path libs = args.size() > 1 ? Path.of(args.get(1)) : args.isEmpty() ? DEFAULT_LIBS : null;
        if (!Files.isRegularFile(jar)) {
            throw new UsageException("no such jar: " + jar + (args.isEmpty() ? " (build it first: mvn -B -q -DskipTests package)" : ""));
        }
        List<Path> classpath = new ArrayList<>(List.of(jar));
        if (libs != null && Files.isDirectory(libs)) {
            try (Stream<Path> s = Files.list(libs)) {
                classpath.addAll(s.filter(p -> p.toString().endsWith(".jar")).sorted().collect(Collectors.toList()));
            } catch (IOException e) {
                throw new UsageException("cannot list " + libs + ": " + e.getMessage());
            }
        }
        HandlerVersion version;
        try {
            version = HandlerVersion.load(classpath, LoadOptions.of(Policy.DENY_ALL)
                    .withCache(InstrumentedClassCache.atDefaultLocation()).withMode(InstrumentMode.AT_LOAD)
                    .withMetering(Metering.forFuel(BUDGETS.fuel())));
        } catch (VersionException e) {
            throw new UsageException(e.getMessage());
        }
        MeteredExecutor executor = new MeteredExecutor("ringfence-handler", 20_000_000L, 0);
        err.println("ringfence demo: every handler in " + jar + " once, budgets timeout=2s cpu=500ms alloc=64m, policy deny-all");
        for (String name : handlerClasses(jar, version)) {
            String route = name.substring(name.lastIndexOf('.') + 1);
            try {
                InProcessRoute r = InProcessRoute.open(route, version, name, BUDGETS, executor, err);
                InvocationResult result = r.invoke(Request.builder("demo-" + route).method("POST").build());
                out.println("{\"handler\":\"" + name + "\"," + InvokeCommand.json(result).substring(1));
            } catch (VersionException | HandlerStartException e) {
                out.println(new Json().put("handler", name).put("outcome", "ERROR").put("message", e.getMessage()));
            }
        }
        return 0;
    }

    private static List<String> handlerClasses(Path jar, HandlerVersion version) {
        TreeSet<String> names = new TreeSet<>();
        try (JarFile jf = new JarFile(jar.toFile())) {
            Enumeration<JarEntry> e = jf.entries();
            while (e.hasMoreElements()) {
                String n = e.nextElement().getName();
                if (n.endsWith(".class") && !n.contains("$") && !n.endsWith("package-info.class")) {
                    names.add(n.substring(0, n.length() - 6).replace('/', '.'));
                }
            }
        } catch (IOException ex) {
            throw new UsageException("cannot read " + jar + ": " + ex.getMessage());
        }
        List<String> handlers = new ArrayList<>();
        for (String n : names) {
            try {
                Class<?> c = version.loadClass(n);
                if (Handler.class.isAssignableFrom(c) && !Modifier.isAbstract(c.getModifiers())) {
                    handlers.add(n);
                }
            } catch (VersionException ex) {
                // not loadable on its own (a missing optional dependency): not a handler to show
            }
        }
        return handlers;
    }
}
