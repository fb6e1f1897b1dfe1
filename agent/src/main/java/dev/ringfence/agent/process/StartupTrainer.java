package dev.ringfence.agent.process;

import dev.ringfence.agent.AgentEntry;
import dev.ringfence.agent.gates.Gates;
import dev.ringfence.agent.pipeline.ChildRoute;
import dev.ringfence.agent.pipeline.RouteRuntime;
import dev.ringfence.agent.pipeline.RouteSettings;
import dev.ringfence.api.Budgets;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.Metering;
import dev.ringfence.limiter.Policy;
import dev.ringfence.loader.InstrumentedClassCache;
import dev.ringfence.loader.LoadOptions;
import dev.ringfence.loader.VersionException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The main class of the JVM that records a start-up cache's archive ({@link StartupArchive}):
 * started on the agent jar's class path, without the agent, with the archive's record option.
 * Loads, without initialising, each class of a class list ({@code -XX:DumpLoadedClassList}
 * format: one binary name with slashes a line; {@code #} comments, {@code @} directives and
 * classes of other loaders, marked {@code source:}, are skipped) through the application class
 * loader, then exits so that the JVM writes the archive.
 *
 * <p>No listed class is initialised, so no static initialiser or handler code of the list runs
 * here; a name that does not load is skipped. With {@value #REHEARSE} it then serves a few
 * versions of the spare's built-in warm-up handler (ringfence's own code, never a route's). Exit
 * code 0, 2 on a usage error or an unreadable list, 3 when the rehearsal failed.
 */
public final class StartupTrainer {
    /**
     * The flag that makes it also rehearse the gates' installation ({@link Gates#rehearseInstall},
     * with the host's woven gates when their file follows the flag) and the serving path on the
     * spare's built-in warm-up handler ({@link WarmUp#rehearse}) before it exits: JDK 25 and later,
     * where the AOT cache holds what ran (linked call sites, generated method-handle forms,
     * profiles). Needs {@code -Dringfence.allowUngated=true}: this JVM has no gates, and runs no
     * code but ringfence's.
     */
    static final String REHEARSE = "--rehearse";
    /** Versions the rehearsal opens. */
    static final int REHEARSALS = 3;

    private StartupTrainer() {
    }

    /**
     * @param args the class list file
     */
    public static void main(String[] args) {
        boolean rehearse = args.length >= 2 && args[1].equals(REHEARSE);
        if (!(args.length == 1 || rehearse && args.length <= 3)) {
            System.err.println("usage: StartupTrainer CLASSLIST [" + REHEARSE + " [WOVEN-GATES]]");
            System.exit(2);
        }
        try {
            int[] counts = load(Path.of(args[0]), ClassLoader.getSystemClassLoader());
            System.out.println("loaded " + counts[0] + " classes, skipped " + counts[1]);
        } catch (IOException e) {
            System.err.println("StartupTrainer: cannot read " + args[0] + ": " + e);
            System.exit(2);
        }
        if (rehearse) {
            AgentEntry.rehearseStart(); // what the agent's start-up thread runs beside the gates
            ProcessHandle.current().parent(); // as the worker command asks (the JDK's lambdas on the way)
            Gates.rehearseInstall(args.length == 3 ? Path.of(args[2]) : null);
            Path classCache = null;
            String failed = null;
            // its files go beside the class list, in the entry's temporary directory: the cache
            // deletes that, whatever this JVM leaves, if it is killed
            Path scratch = Path.of(args[0]).toAbsolutePath().getParent();
            try {
                // a class cache of its own, as a child of the entry has one (the entry's instrumented classes)
                classCache = Files.createTempDirectory(scratch, "rehearsal-");
                InstrumentedClassCache cache = new InstrumentedClassCache(classCache, 16L << 20);
                MeteredExecutor executor = new MeteredExecutor("ringfence-handler", RouteRuntime.GRACE_NANOS, 0);
                WarmUp.rehearse(executor, a -> warmUpVersion(a, executor, cache), REHEARSALS, scratch.resolve("warm-up"));
            } catch (IOException | RuntimeException e) {
                failed = e.toString();
            } finally {
                WorkersDirectories.deleteTree(classCache);
            }
            if (failed != null) {
                System.err.println("StartupTrainer: the rehearsal failed: " + failed);
                System.exit(3);
            }
        }
        System.exit(0); // the JVM writes the archive as it exits
    }

    /**
     * Opens one of {@link WarmUp}'s versions, whose only class is its built-in echo handler:
     * without the gates, which this JVM has not (it runs with {@code ringfence.allowUngated}), and
     * without the checks of the {@code worker} command's own opening, which refuses to run so.
     */
    private static SpareLoop.Load warmUpVersion(List<String> args, MeteredExecutor executor,
            InstrumentedClassCache cache) {
        Path jar = Path.of(value(args, "--handler"));
        String className = value(args, "--class");
        if (!className.equals(WarmUp.CLASS_NAME)) {
            throw new IllegalArgumentException("the rehearsal opens the warm-up's handler only, not " + className);
        }
        Budgets budgets = new Budgets(0, 0, 0, Long.parseLong(value(args, "--alloc")));
        return new SpareLoop.Load(budgets, () -> {
            try {
                return ChildRoute.open("warm-up", List.of(jar), LoadOptions.of(Policy.DENY_ALL).withCache(cache)
                        .withMetering(Metering.forFuel(0)), className, budgets, executor, System.err,
                        RouteSettings.Defer.DEFAULT);
            } catch (VersionException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }, 1);
    }

    private static String value(List<String> args, String flag) {
        int at = args.indexOf(flag);
        if (at < 0 || at + 1 >= args.size()) {
            throw new IllegalArgumentException("the warm-up gave no " + flag);
        }
        return args.get(at + 1);
    }

    /**
     * Loads the listed classes without initialising them.
     *
     * @param list the class list
     * @param loader the loader to load through
     * @return {loaded, skipped}
     * @throws IOException when the list cannot be read
     */
    static int[] load(Path list, ClassLoader loader) throws IOException {
        int loaded = 0;
        int skipped = 0;
        for (String line : Files.readAllLines(list, StandardCharsets.UTF_8)) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith("@") || l.contains(" source:")) {
                continue;
            }
            int space = l.indexOf(' ');
            String name = (space < 0 ? l : l.substring(0, space)).replace('/', '.');
            try {
                Class.forName(name, false, loader);
                loaded++;
            } catch (ClassNotFoundException | LinkageError e) {
                skipped++; // a hidden class's name, or one the list's JVM made itself
            }
        }
        return new int[] {loaded, skipped};
    }
}
