package dev.ringfence.agent.cli;

import dev.ringfence.agent.config.Units;
import dev.ringfence.api.Budgets;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** The flags of {@code invoke}, validated. */
final class InvokeOptions {
    /** The default wall-clock deadline when {@code --timeout} is not given. */
    static final String DEFAULT_TIMEOUT = "3s";

    final List<Path> handlers = new ArrayList<>();
    String className;
    long timeout = Units.nanos(DEFAULT_TIMEOUT);
    long cpu;
    long fuel;
    long alloc;
    long nativeBytes;
    byte[] body = new byte[0];
    int repeat = 1;
    Path jfr;
    String method = "POST";
    String path = "/";
    final Map<String, String> headers = new LinkedHashMap<>();
    Properties policy = new Properties();
    Path cacheDir;
    boolean noCache;

    Budgets budgets() {
        return new Budgets(timeout, cpu, fuel, alloc, nativeBytes);
    }

    static InvokeOptions parse(List<String> args) {
        InvokeOptions o = new InvokeOptions();
        boolean bodyGiven = false;
        for (int i = 0; i < args.size(); i++) {
            String flag = args.get(i);
            if (flag.equals("--no-cache")) {
                o.noCache = true;
                continue;
            }
            if (i + 1 >= args.size()) {
                throw new UsageException(flag + " needs a value");
            }
            String v = args.get(++i);
            switch (flag) {
                case "--handler":
                    Path p = Path.of(v);
                    if (!Files.exists(p)) {
                        throw new UsageException("no such handler path: " + v);
                    }
                    o.handlers.add(p);
                    break;
                case "--class":
                    o.className = v;
                    break;
                case "--timeout":
                    o.timeout = Units.nanos(v);
                    break;
                case "--cpu":
                    o.cpu = Units.nanos(v);
                    break;
                case "--fuel":
                    o.fuel = Units.count(v);
                    break;
                case "--alloc":
                    o.alloc = Units.bytes(v);
                    break;
                case "--native":
                    o.nativeBytes = Units.bytes(v);
                    break;
                case "--body":
                    if (bodyGiven) {
                        throw new UsageException("give --body or --body-file, once");
                    }
                    bodyGiven = true;
                    o.body = v.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    break;
                case "--body-file":
                    if (bodyGiven) {
                        throw new UsageException("give --body or --body-file, once");
                    }
                    bodyGiven = true;
                    o.body = read(Path.of(v));
                    break;
                case "--repeat":
                    long n = Units.count(v);
                    if (n < 1 || n > 10_000_000) {
                        throw new UsageException("--repeat must be between 1 and 10000000");
                    }
                    o.repeat = (int) n;
                    break;
                case "--jfr":
                    o.jfr = Path.of(v);
                    break;
                case "--method":
                    o.method = v;
                    break;
                case "--path":
                    o.path = v;
                    break;
                case "--header":
                    int colon = v.indexOf(':');
                    if (colon <= 0) {
                        throw new UsageException("--header takes 'Name: value', not '" + v + "'");
                    }
                    o.headers.put(v.substring(0, colon).trim(), v.substring(colon + 1).trim());
                    break;
                case "--policy":
                    o.policy = properties(Path.of(v));
                    break;
                case "--cache":
                    o.cacheDir = Path.of(v);
                    break;
                default:
                    throw new UsageException("unknown flag " + flag + " for invoke");
            }
        }
        if (o.handlers.isEmpty()) {
            throw new UsageException("invoke needs --handler PATH (a jar or a class directory)");
        }
        if (o.className == null) {
            throw new UsageException("invoke needs --class FQCN (the class implementing dev.ringfence.api.Handler)");
        }
        return o;
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UsageException("cannot read " + p + ": " + e.getMessage());
        }
    }

    private static Properties properties(Path p) {
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(p)) {
            props.load(r);
        } catch (IOException e) {
            throw new UsageException("cannot read policy file " + p + ": " + e.getMessage());
        }
        return props;
    }
}
