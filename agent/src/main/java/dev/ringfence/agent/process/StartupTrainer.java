package dev.ringfence.agent.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The main class of the JVM that records a start-up cache's archive ({@link StartupArchive}):
 * started on the agent jar's class path, without the agent, with the archive's record option.
 * Loads, without initialising, each class of a class list ({@code -XX:DumpLoadedClassList}
 * format: one binary name with slashes a line; {@code #} comments, {@code @} directives and
 * classes of other loaders, marked {@code source:}, are skipped) through the application class
 * loader, then exits so that the JVM writes the archive.
 *
 * <p>No class is initialised, so no static initialiser, handler or agent code runs here; a name
 * that does not load is skipped. Exit code 0, or 2 on a usage error or an unreadable list.
 */
public final class StartupTrainer {
    private StartupTrainer() {
    }

    /**
     * @param args the class list file
     */
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: StartupTrainer CLASSLIST");
            System.exit(2);
        }
        try {
            int[] counts = load(Path.of(args[0]), ClassLoader.getSystemClassLoader());
            System.out.println("loaded " + counts[0] + " classes, skipped " + counts[1]);
        } catch (IOException e) {
            System.err.println("StartupTrainer: cannot read " + args[0] + ": " + e);
            System.exit(2);
        }
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
