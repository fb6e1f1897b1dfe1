package dev.ringfence.agent.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code serve DIR} in a forked JVM with the real agent jar ({@code -Xmx256m}, an ephemeral
 * loopback port), what the integration tests of served routes share: start it and wait until it
 * listens, talk to it over HTTP, read its {@code /status}, its stdout and stderr, and stop it with
 * every process it started.
 */
final class ForkedServe implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process server;
    private final Path out;
    private final Path err;
    private final String base;

    private ForkedServe(Process server, Path out, Path err, String base) {
        this.server = server;
        this.out = out;
        this.err = err;
        this.base = base;
    }

    /**
     * Starts the server and waits (up to 60 s) until it says where it listens.
     *
     * @param dir the routes directory
     * @param extra further {@code serve} arguments
     * @return the running server
     * @throws Exception when it cannot start
     */
    static ForkedServe start(Path dir, String... extra) throws Exception {
        return start(dir, Map.of(), extra);
    }

    /**
     * Starts the server with more environment variables and waits until it listens.
     *
     * @param dir the routes directory
     * @param env variables added to the server's environment
     * @param extra further {@code serve} arguments
     * @return the running server
     * @throws Exception when it cannot start
     */
    static ForkedServe start(Path dir, Map<String, String> env, String... extra) throws Exception {
        return start(List.of(), dir, env, extra);
    }

    /**
     * Starts the server with more JVM options and waits until it listens.
     *
     * @param jvmOptions options placed before {@code -jar}, e.g. {@code -XX:StartFlightRecording:…}
     * @param dir the routes directory
     * @param env variables added to the server's environment
     * @param extra further {@code serve} arguments
     * @return the running server
     * @throws Exception when it cannot start
     */
    static ForkedServe start(List<String> jvmOptions, Path dir, Map<String, String> env, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Cli.JAVA, "-Xmx256m"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", Cli.AGENT_JAR.toString(), "serve", dir.toString(), "--port", "0"));
        cmd.addAll(List.of(extra));
        return launch(cmd, env);
    }

    /**
     * Starts any server that prints {@code listening on http://…} (the sample plugin service, say)
     * and waits (up to 60 s) until it does.
     *
     * @param cmd the command line
     * @param env variables added to the server's environment
     * @return the running server
     * @throws Exception when it cannot start
     */
    static ForkedServe launch(List<String> cmd, Map<String, String> env) throws Exception {
        Path out = Files.createTempFile("ringfence-serve", ".out");
        Path err = Files.createTempFile("ringfence-serve", ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(env);
        Process server = pb.start();
        String base = null;
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (base == null && System.nanoTime() < until && server.isAlive()) {
            Matcher m = LISTENING.matcher(Files.readString(out));
            if (m.find()) {
                base = m.group(1);
            } else {
                Thread.sleep(50);
            }
        }
        ForkedServe s = new ForkedServe(server, out, err, base);
        if (base == null) {
            String said = s.out() + s.err();
            s.close();
            fail("the server did not say where it listens:\n" + said);
        }
        return s;
    }

    /** @return the server's process */
    Process process() {
        return server;
    }

    /** @return what it wrote to stdout so far */
    String out() {
        return read(out);
    }

    /** @return what it wrote to stderr so far (its log lines) */
    String err() {
        return read(err);
    }

    /**
     * @param path a path on the server, {@code /fn/…} say
     * @return the answer to a GET (90 s at most)
     * @throws Exception on a transport failure
     */
    HttpResponse<String> get(String path) throws Exception {
        return send(request(path).GET());
    }

    /**
     * GETs again while the answer is 504, for at most a minute: a child JVM that is starting, and
     * the cold first request of a fresh one (past a short deadline on a loaded machine), end
     * {@code TIMEOUT}.
     *
     * @param path a path on the server
     * @return the first answer that is not a 504, or the last 504
     * @throws Exception on a transport failure
     */
    HttpResponse<String> getPast504(String path) throws Exception {
        HttpResponse<String> r = get(path);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (r.statusCode() == 504 && System.nanoTime() < until) {
            Thread.sleep(100);
            r = get(path);
        }
        return r;
    }

    /**
     * Writes a route folder: its {@code route.properties} and copies of its jars.
     *
     * @param routes the routes directory
     * @param name the route's name
     * @param settings the properties text
     * @param jars jars copied into the folder under their own names
     * @return the folder
     * @throws IOException when it cannot be written
     */
    static Path route(Path routes, String name, String settings, Path... jars) throws IOException {
        Path folder = Files.createDirectories(routes.resolve(name));
        for (Path jar : jars) {
            Files.copy(jar, folder.resolve(jar.getFileName().toString()));
        }
        Files.writeString(folder.resolve("route.properties"), settings);
        return folder;
    }

    /**
     * @param path a path on the server
     * @return the answer to a GET, when it comes
     */
    CompletableFuture<HttpResponse<String>> getAsync(String path) {
        return sendAsync(request(path).GET());
    }

    /**
     * @param path a path on the server
     * @return a request to it with a 90 s timeout, to add a method, headers and a body to
     */
    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(90));
    }

    /**
     * @param request a request ({@link #request(String)})
     * @return its answer
     * @throws Exception on a transport failure
     */
    HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * @param request a request ({@link #request(String)})
     * @return its answer, when it comes
     */
    CompletableFuture<HttpResponse<String>> sendAsync(HttpRequest.Builder request) {
        return HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * @param route a route's name
     * @return the route's object in {@code /status}: from its name to the next route's
     * @throws Exception on a transport failure
     */
    String status(String route) throws Exception {
        String body = get("/status").body();
        int at = body.indexOf("{\"name\":\"" + route + "\"");
        assertTrue(at >= 0, body);
        int next = body.indexOf("{\"name\":", at + 1);
        return body.substring(at, next < 0 ? body.length() : next);
    }

    /**
     * @param r an answer
     * @return its {@code X-Ringfence-Outcome}, or {@code (none)}
     */
    static String outcome(HttpResponse<?> r) {
        return r.headers().firstValue("X-Ringfence-Outcome").orElse("(none)");
    }

    /**
     * @param json a JSON object's text
     * @param key a key of a whole number
     * @return its value (the test fails when it is not there)
     */
    static long number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(-?\\d+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return Long.parseLong(m.group(1));
    }

    /**
     * Deletes directory trees, what is in them first.
     *
     * @param dirs the trees (null ones are skipped)
     * @throws IOException when a file cannot be deleted
     */
    static void deleteTrees(Path... dirs) throws IOException {
        for (Path d : dirs) {
            if (d == null || !Files.exists(d)) {
                continue;
            }
            try (Stream<Path> all = Files.walk(d)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /**
     * Stops the server the way an operator does, with SIGTERM, so that its shutdown hooks run (a
     * flight recording with {@code dumponexit=true} is written then), and waits for it to exit.
     *
     * @return its exit code
     * @throws Exception when it has not exited within 60 s
     */
    int stop() throws Exception {
        server.destroy();
        if (!server.waitFor(60, TimeUnit.SECONDS)) {
            fail("the server did not exit within 60 s of SIGTERM:\n" + out() + err());
        }
        return server.exitValue();
    }

    /**
     * Stops the server if still alive (SIGTERM first, so that its shutdown hooks remove what it
     * keeps in the temporary directory, such as a flight recording's repository; SIGKILL after
     * 10 s), kills every process it started, and deletes its output files.
     */
    @Override
    public void close() throws Exception {
        List<ProcessHandle> left = server.descendants().toList();
        server.destroy();
        if (!server.waitFor(10, TimeUnit.SECONDS)) {
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        left.forEach(ProcessHandle::destroyForcibly);
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
    }
}
