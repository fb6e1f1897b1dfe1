package dev.ringfence.agent.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * {@code java -jar ringfence-agent.jar VERB …}. Exit codes: 0 success, 1 a handler did not end
 * {@code OK} (or {@code check} found failures, or an attach target reported an error), 2 bad
 * usage or bad input (one line on stderr), 3 an attach target cannot be reached.
 */
public final class Main {
    static final String USAGE = String.join("\n",
            "usage: java -jar ringfence-agent.jar VERB [ARGS]",
            "  invoke --handler PATH [--handler PATH…] --class FQCN [--timeout 2s] [--cpu 500ms] [--fuel N]",
            "         [--alloc 64m] [--native 64m] [--body TEXT | --body-file F] [--repeat N] [--jfr FILE]",
            "         [--method M] [--path P] [--header 'Name: value'] [--policy FILE] [--cache DIR | --no-cache]",
            "                         run a handler in this JVM's sandbox; one JSON line per invocation",
            "  serve DIR [--port 8080] [--host 127.0.0.1] [--config FILE] [--worker-cache DIR|off]",
            "                         serve a routes directory over HTTP until SIGTERM/Ctrl-C",
            "  demo [JAR [LIB_DIR]]   run every handler of a jar once (default: the built samples)",
            "  check JAR              instrument and verify every class of a jar; list denied-API users",
            "  report FILE.jfr        per route and outcome: count and p50/p95/p99/max latency",
            "  worker --channel FILE --handler PATH… --class FQCN [invoke's budget and policy flags]",
            "                         a child JVM of the process tier (started by the host)",
            "  attach PID [--config FILE] [budget.NAME.methods=com.acme.Plugins#run budget.NAME.timeout=2s …]",
            "                         put budgets on methods of a running JVM; prints what it instrumented",
            "  detach PID             take the attached agent out again; prints what it restored",
            "  version                print the version");

    private Main() {
    }

    /**
     * Runs a verb and exits with its code.
     *
     * @param args the verb and its arguments
     */
    public static void main(String[] args) {
        // stdout carries the verbs' results (one JSON line per invocation): whatever a handler
        // prints to System.out goes to stderr instead, so it can never corrupt them
        PrintStream results = System.out;
        System.setOut(System.err);
        int code = run(Arrays.asList(args), results, System.err);
        results.flush();
        // handler threads that never stopped must not keep the JVM alive
        System.exit(code);
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty()) {
            err.println(USAGE);
            return 2;
        }
        String verb = args.get(0);
        List<String> rest = args.subList(1, args.size());
        try {
            switch (verb) {
                case "invoke":
                    return InvokeCommand.run(rest, out, err);
                case "serve":
                    return ServeCommand.run(rest, out, err);
                case "worker":
                    return WorkerCommand.run(rest, err);
                case "demo":
                    return DemoCommand.run(rest, out, err);
                case "check":
                    return CheckCommand.run(rest, out, err);
                case "report":
                    return ReportCommand.run(rest, out, err);
                case "attach":
                    return AttachCommand.attach(rest, out, err);
                case "detach":
                    return AttachCommand.detach(rest, out, err);
                case "version":
                    out.println("ringfence " + version());
                    return 0;
                case "help":
                case "--help":
                case "-h":
                    out.println(USAGE);
                    return 0;
                default:
                    err.println("ringfence: unknown verb '" + verb + "'\n" + USAGE);
                    return 2;
            }
        } catch (UsageException | IllegalArgumentException e) {
            err.println("ringfence: " + e.getMessage());
            return 2;
        }
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
