package dev.ringfence.loader;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.ringfence.api.Budgets;
import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Handler fixtures compiled from source at test time, and helpers to jar them and wait for GC. */
final class Fixtures {
    private static Map<String, byte[]> handlers;
    private static Map<String, byte[]> shadows;

    private Fixtures() {
    }

    /** Entry name → bytes of every fixture handler class and resource. */
    static synchronized Map<String, byte[]> handlers() {
        if (handlers == null) {
            Map<String, String> src = new TreeMap<>();
            src.put("fix.Hello", """
                    package fix;
                    import dev.ringfence.api.*;
                    public class Hello implements Handler {
                        public Response handle(Request r, Context c) { return Response.ok("hello"); }
                    }
                    """);
            src.put("dev.ringfence.samples.SampleHello", """
                    package dev.ringfence.samples;
                    import dev.ringfence.api.*;
                    public class SampleHello implements Handler {
                        public Response handle(Request r, Context c) { return Response.ok("sample"); }
                    }
                    """);
            src.put("fix.Spin", """
                    package fix;
                    import dev.ringfence.api.*;
                    public class Spin implements Handler {
                        public Response handle(Request r, Context c) {
                            long n = 0;
                            while (n >= 0) { n++; }
                            return Response.ok("overflowed " + n);
                        }
                    }
                    """);
            src.put("fix.Resources", """
                    package fix;
                    import dev.ringfence.api.*;
                    import java.io.InputStream;
                    import java.net.URL;
                    import java.nio.charset.StandardCharsets;
                    public class Resources implements Handler {
                        public Response handle(Request r, Context c) throws Exception {
                            String viaClass;
                            try (InputStream in = Resources.class.getResourceAsStream("/fix/greeting.txt")) {
                                viaClass = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                            }
                            URL u = Resources.class.getClassLoader().getResource("fix/greeting.txt");
                            String viaUrl;
                            try (InputStream in = u.openStream()) {
                                viaUrl = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                            }
                            return Response.ok(viaClass + "|" + viaUrl + "|" + u.getProtocol());
                        }
                    }
                    """);
            src.put("fix.Greeter", """
                    package fix;
                    public interface Greeter { String greet(); }
                    """);
            src.put("fix.EnglishGreeter", """
                    package fix;
                    public class EnglishGreeter implements Greeter {
                        public String greet() { return "hello from a service"; }
                    }
                    """);
            src.put("fix.UsesService", """
                    package fix;
                    import dev.ringfence.api.*;
                    import java.util.ServiceLoader;
                    public class UsesService implements Handler {
                        public Response handle(Request r, Context c) {
                            for (Greeter g : ServiceLoader.load(Greeter.class)) {
                                return Response.ok(g.greet());
                            }
                            return Response.ok("no provider");
                        }
                    }
                    """);
            src.put("fix.NotAHandler", """
                    package fix;
                    public class NotAHandler { }
                    """);
            src.put("fix.NeedsArgs", """
                    package fix;
                    import dev.ringfence.api.*;
                    public class NeedsArgs implements Handler {
                        public NeedsArgs(String config) { }
                        public Response handle(Request r, Context c) { return Response.ok("no"); }
                    }
                    """);
            src.put("fix.FailingConstructor", """
                    package fix;
                    import dev.ringfence.api.*;
                    public class FailingConstructor implements Handler {
                        public FailingConstructor() { throw new IllegalStateException("no config"); }
                        public Response handle(Request r, Context c) { return Response.ok("no"); }
                    }
                    """);
            src.put("fix.LeaksThreadLocal", """
                    package fix;
                    import dev.ringfence.api.*;
                    public class LeaksThreadLocal implements Handler {
                        static final ThreadLocal<Object> HELD = new ThreadLocal<>();
                        public Response handle(Request r, Context c) { HELD.set(this); return Response.ok("held"); }
                    }
                    """);
            src.put("fix.LeakyDriver", """
                    package fix;
                    import dev.ringfence.api.*;
                    import java.sql.*;
                    import java.util.Properties;
                    import java.util.logging.Logger;
                    public class LeakyDriver implements Handler, Driver {
                        static Driver registered;
                        public Response handle(Request r, Context c) throws SQLException {
                            if (r.path().equals("/register")) {
                                registered = this;
                                DriverManager.registerDriver(this);
                            } else {
                                DriverManager.deregisterDriver(registered);
                                registered = null;
                            }
                            return Response.ok("done");
                        }
                        public Connection connect(String url, Properties info) { return null; }
                        public boolean acceptsURL(String url) { return false; }
                        public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) { return new DriverPropertyInfo[0]; }
                        public int getMajorVersion() { return 1; }
                        public int getMinorVersion() { return 0; }
                        public boolean jdbcCompliant() { return false; }
                        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
                            throw new SQLFeatureNotSupportedException();
                        }
                    }
                    """);
            Map<String, byte[]> out = compile(src, List.of(location(Handler.class)));
            out.put("fix/greeting.txt", "bonjour".getBytes(UTF_8));
            out.put("META-INF/services/fix.Greeter", "# a comment\nfix.EnglishGreeter\n".getBytes(UTF_8));
            handlers = Map.copyOf(out);
        }
        return handlers;
    }

    /** Classes that try to take the place of ringfence's own: a fake API Handler and a fake Meter. */
    static synchronized Map<String, byte[]> shadows() {
        if (shadows == null) {
            Map<String, String> src = new TreeMap<>();
            src.put("dev.ringfence.api.Handler", "package dev.ringfence.api; public interface Handler { void fake(); }\n");
            src.put("dev.ringfence.limiter.Meter", "package dev.ringfence.limiter; public class Meter { }\n");
            shadows = Map.copyOf(compile(src, List.of()));
        }
        return shadows;
    }

    /**
     * Compiles sources with the system compiler.
     *
     * @param sources class name → source
     * @param classpath what they compile against
     * @return entry name → class file bytes
     */
    static Map<String, byte[]> compile(Map<String, String> sources, List<Path> classpath) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("ringfence-fixtures");
            Path srcDir = dir.resolve("src");
            Path outDir = dir.resolve("classes");
            Files.createDirectories(outDir);
            List<String> args = new ArrayList<>(List.of("-d", outDir.toString(), "--release", "17", "-proc:none"));
            if (!classpath.isEmpty()) {
                args.add("-classpath");
                args.add(String.join(java.io.File.pathSeparator, classpath.stream().map(Path::toString).toList()));
            }
            for (Map.Entry<String, String> e : sources.entrySet()) {
                Path f = srcDir.resolve(e.getKey().replace('.', '/') + ".java");
                Files.createDirectories(f.getParent());
                Files.writeString(f, e.getValue());
                args.add(f.toString());
            }
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = javac.run(null, err, err, args.toArray(new String[0]));
            if (rc != 0) {
                throw new IllegalStateException("fixtures do not compile:\n" + err.toString(UTF_8));
            }
            return readTree(outDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteTree(dir);
        }
    }

    /** Deletes a directory and all it holds, if there. */
    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, byte[]> readTree(Path root) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(f).toString().replace(java.io.File.separatorChar, '/'), Files.readAllBytes(f));
            }
        }
        return out;
    }

    /** Writes entries as a jar, in the map's order. */
    static Path jar(Path file, Map<String, byte[]> entries) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
                for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                    zip.putNextEntry(new ZipEntry(e.getKey()));
                    zip.write(e.getValue());
                    zip.closeEntry();
                }
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes entries as a class directory. */
    static Path directory(Path dir, Map<String, byte[]> entries) {
        try {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                Path f = dir.resolve(e.getKey());
                Files.createDirectories(f.getParent());
                Files.write(f, e.getValue());
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The fixture handlers plus one more resource, so the content (and id) differs per {@code tag}. */
    static Map<String, byte[]> handlersTagged(String tag) {
        Map<String, byte[]> m = new TreeMap<>(handlers());
        m.put("fix/tag.txt", tag.getBytes(UTF_8));
        return m;
    }

    static Path location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Budgets generous enough for any well-behaved fixture: 10 s wall clock, 100 M ticks. */
    static Budgets generous() {
        return new Budgets(10_000_000_000L, 0, 100_000_000L, 0);
    }

    /**
     * Waits for a condition that needs the garbage collector, nudging it, for at most a minute.
     *
     * @return whether the condition came true
     */
    static boolean awaitCollected(BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 1200; i++) {
            if (condition.getAsBoolean()) {
                return true;
            }
            System.gc();
            Thread.sleep(50);
        }
        return condition.getAsBoolean();
    }

    /** A context for direct and metered calls in tests. */
    static final class TestContext implements Context {
        @Override
        public String requestId() {
            return "r-1";
        }

        @Override
        public long remainingNanos() {
            return Long.MAX_VALUE;
        }

        @Override
        public Budgets budgets() {
            return Budgets.NONE;
        }

        @Override
        public Logger logger() {
            return new Logger() {
                @Override
                public void info(String message) {
                }

                @Override
                public void warn(String message) {
                }
            };
        }
    }
}
