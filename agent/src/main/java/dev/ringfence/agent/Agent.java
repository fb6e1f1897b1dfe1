package dev.ringfence.agent;

import dev.ringfence.agent.config.AgentConfig;
import dev.ringfence.agent.gates.Gates;
import dev.ringfence.agent.log.EventLog;
import dev.ringfence.agent.process.MappedFiles;
import dev.ringfence.agent.serve.ServeConfig;
import dev.ringfence.agent.serve.ServeRuntime;
import dev.ringfence.limiter.GateStatus;
import dev.ringfence.limiter.MeteredExecutor;
import java.lang.instrument.Instrumentation;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;

/**
 * Starts the sandbox runtime in this JVM: installs the gates, marks the sandbox ready and, with
 * {@code serve=DIR}, starts the {@code serve} runtime on a daemon thread (so it never keeps the
 * host alive) with a shutdown hook that drains it.
 */
final class Agent {
    private static boolean started;

    private Agent() {
    }

    static synchronized void start(String args, Instrumentation inst) {
        if (started) {
            return;
        }
        AgentConfig config = AgentConfig.parse(args);
        // the JVM-wide caches and the thread clock fill beside the gates' weaving (a child's start
        // is mostly this); both are done before the sandbox is marked ready
        Thread primer = new Thread(new Primer(), "ringfence-prime");
        primer.setDaemon(true);
        primer.start();
        try {
            if (config.gatesOn()) {
                Gates.install(inst);
            }
        } finally {
            Gates.joinUninterruptibly(primer);
        }
        if (config.gatesOn()) {
            GateStatus.markInstalled();
        }
        started = true;
        if (config.serveDir() != null) {
            startServing(config);
        }
    }

    /**
     * What the start-up thread runs. A class, not a lambda: a process-tier child's start-up cache
     * holds the classes a child loads, but a lambda proxy only where the recording JVM ran its call
     * site, and that JVM runs no agent ({@link #rehearsePrimer}).
     */
    private static final class Primer implements Runnable {
        @Override
        public void run() {
            JvmWideCaches.prime();
            MeteredExecutor.prepare();
            MappedFiles.prime(); // a process-tier child maps its channel and its woven gates right after
            // the class cache checks its records with it as a version opens: its tables take 2-3 ms to fill
            new CRC32C();
        }
    }

    /**
     * Runs, in the agent-less JVM that records a process-tier child's start-up cache, what the
     * start-up thread runs: the cache then holds its classes linked and its lambdas resolved.
     */
    static void rehearsePrimer() {
        new Primer().run();
    }

    private static void startServing(AgentConfig config) {
        String file = config.get("config");
        ServeConfig serve;
        try {
            serve = ServeConfig.of(Path.of(config.serveDir()), config.serveSettings(), file == null ? null : Path.of(file));
        } catch (RuntimeException e) {
            System.err.println("ringfence: serve did not start: " + e.getMessage());
            return; // the gates stay installed
        }
        AtomicReference<ServeRuntime> running = new AtomicReference<>();
        try {
            // registered first: the host may be shutting down before the runtime is up
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                ServeRuntime r = running.get();
                if (r != null) {
                    r.stop();
                }
            }, "ringfence-serve-stop"));
        } catch (IllegalStateException e) {
            return; // the host is shutting down already
        }
        Thread t = new Thread(() -> {
            try {
                running.set(ServeRuntime.start(serve, new EventLog(System.err))); // logs where it listens
            } catch (Throwable e) {
                System.err.println("ringfence: serve did not start: " + e.getMessage());
            }
        }, "ringfence-serve-start");
        t.setDaemon(true);
        t.start();
    }
}
