package dev.ringfence.agent.cli;

import dev.ringfence.agent.log.EventLog;
import dev.ringfence.agent.serve.ServeConfig;
import dev.ringfence.agent.serve.ServeRuntime;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

/**
 * {@code serve DIR [--port 8080] [--host 127.0.0.1] [--config FILE] [--worker-cache DIR|off]}: serves a routes directory
 * over HTTP until SIGTERM or Ctrl-C, then drains the requests in flight (bounded by the
 * {@code drain} setting) and exits 0. Prints one line on stdout once it listens; the structured
 * event log goes to stderr.
 */
final class ServeCommand {
    static final String USAGE = "usage: serve DIR [--port 8080] [--host 127.0.0.1] [--config FILE] [--worker-cache DIR|off]";

    private ServeCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        ServeConfig config = parse(args);
        // the JDK's HTTP server writes headers and body apart: with Nagle's algorithm on, every
        // keep-alive response waits for the client's delayed ACK (about 40 ms). This is our own
        // process, so turn it off unless the user chose otherwise (read once, at the server's first use).
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        ServeRuntime runtime;
        try {
            runtime = ServeRuntime.start(config, new EventLog(err));
        } catch (IOException e) {
            throw new UsageException("cannot serve " + config.routesDir() + " on " + config.host() + ":" + config.port()
                    + ": " + e.getMessage());
        }
        CountDownLatch stop = new CountDownLatch(1);
        if (!onSignals(stop::countDown, "TERM", "INT")) {
            // no signal API: drain from a shutdown hook instead (the exit status is then the signal's)
            Runtime.getRuntime().addShutdownHook(new Thread(runtime::stop, "ringfence-serve-stop"));
        }
        out.println("ringfence serve: listening on " + runtime.url() + " (routes from " + config.routesDir().toAbsolutePath()
                + ": " + runtime.routes().all().stream().map(r -> r.name()).collect(Collectors.joining(", ")) + ")");
        out.flush();
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        runtime.stop();
        return 0;
    }

    static ServeConfig parse(List<String> args) {
        Path dir = null;
        Path configFile = null;
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--")) {
                if (dir != null) {
                    throw new UsageException("serve takes one routes directory, not '" + dir + "' and '" + a + "'; " + USAGE);
                }
                dir = Path.of(a);
                continue;
            }
            if (i + 1 >= args.size()) {
                throw new UsageException(a + " needs a value; " + USAGE);
            }
            String v = args.get(++i);
            switch (a) {
                case "--port":
                    flags.put("port", v);
                    break;
                case "--host":
                    flags.put("host", v);
                    break;
                case "--config":
                    configFile = Path.of(v);
                    break;
                case "--worker-cache":
                    flags.put("worker.cache", v);
                    break;
                default:
                    throw new UsageException("unknown flag " + a + " for serve; " + USAGE);
            }
        }
        if (dir == null) {
            throw new UsageException("serve needs a routes directory; " + USAGE);
        }
        if (!dir.toFile().isDirectory()) {
            throw new UsageException("no such routes directory: " + dir);
        }
        ServeConfig.of(dir, flags, null); // a bad flag is named as a flag, not as the file's
        Map<String, String> merged = new LinkedHashMap<>();
        if (configFile != null) {
            merged.putAll(ServeConfig.readFile(configFile));
        }
        merged.putAll(flags);
        return ServeConfig.of(dir, merged, configFile);
    }

    /**
     * Runs an action on the first of these signals, instead of the JVM's default (exit with the
     * signal's status), through {@code sun.misc.Signal}, reached by reflection so that a JVM
     * without it still serves.
     *
     * @return whether every signal's handler was installed
     */
    static boolean onSignals(Runnable action, String... names) {
        boolean all = true;
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object handler = Proxy.newProxyInstance(handlerType.getClassLoader(), new Class<?>[] {handlerType},
                    (proxy, m, a) -> {
                        switch (m.getName()) {
                            case "handle":
                                action.run();
                                return null;
                            case "hashCode":
                                return System.identityHashCode(proxy);
                            case "equals":
                                return proxy == a[0];
                            default:
                                return "ringfence-serve-signals";
                        }
                    });
            Method handle = signal.getMethod("handle", signal, handlerType);
            for (String n : names) {
                try {
                    handle.invoke(null, signal.getConstructor(String.class).newInstance(n), handler);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    all = false; // a signal the JVM or the OS keeps (SIGINT when started in the background)
                }
            }
            return all;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return false;
        }
    }
}
