package dev.ringfence.agent.cli;

import dev.ringfence.agent.pipeline.HandlerStartException;
import dev.ringfence.agent.pipeline.InProcessRoute;
import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.jfr.Jfc;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.Metering;
import dev.ringfence.limiter.Policy;
import dev.ringfence.loader.HandlerVersion;
import dev.ringfence.loader.InstrumentedClassCache;
import dev.ringfence.loader.LoadOptions;
import dev.ringfence.loader.VersionException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import jdk.jfr.Recording;

/** {@code invoke}: runs a handler in this JVM's sandbox and prints one JSON line per invocation. */
final class InvokeCommand {
    /** How long a tripped handler gets to unwind before its thread is abandoned. */
    private static final long GRACE_NANOS = 20_000_000L;

    private InvokeCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        InvokeOptions o = InvokeOptions.parse(args);
        Policy policy = Policy.fromProperties(o.policy);
        InstrumentedClassCache cache = o.noCache ? null
                : o.cacheDir != null ? new InstrumentedClassCache(o.cacheDir, InstrumentedClassCache.DEFAULT_MAX_BYTES)
                : InstrumentedClassCache.atDefaultLocation();
        Recording recording = o.jfr == null ? null : startRecording();
        try {
            HandlerVersion version;
            try {
                version = HandlerVersion.load(o.handlers, LoadOptions.of(policy).withCache(cache)
                        .withMetering(Metering.forFuel(o.budgets().fuel())));
            } catch (VersionException e) {
                throw new UsageException(e.getMessage());
            }
            String routeName = o.className.substring(o.className.lastIndexOf('.') + 1);
            MeteredExecutor executor = new MeteredExecutor("ringfence-handler", GRACE_NANOS, 0);
            InProcessRoute route;
            try {
                route = InProcessRoute.open(routeName, version, o.className, o.budgets(), executor, err);
            } catch (VersionException e) {
                throw new UsageException(e.getMessage());
            } catch (HandlerStartException e) {
                out.println(new Json().put("outcome", e.outcome().name()).put("status", InvocationResult.statusOf(e.outcome()))
                        .put("message", e.getMessage()));
                return 1;
            }
            boolean allOk = true;
            for (int i = 0; i < o.repeat; i++) {
                InvocationResult r = route.invoke(request(o));
                allOk &= r.outcome() == Outcome.OK;
                out.println(json(r));
            }
            return allOk ? 0 : 1;
        } finally {
            if (recording != null) {
                stopRecording(recording, o, err);
            }
        }
    }

    private static Request request(InvokeOptions o) {
        Request.Builder b = Request.builder(UUID.randomUUID().toString()).method(o.method).path(o.path).body(o.body)
                .remoteAddress("local");
        for (Map.Entry<String, String> h : o.headers.entrySet()) {
            b.header(h.getKey(), h.getValue());
        }
        return b.build();
    }

    static String json(InvocationResult r) {
        Json j = new Json().put("requestId", r.requestId()).put("outcome", r.outcome().name()).put("status", r.status());
        j.put("body", r.response() == null ? "" : new String(r.response().body(), StandardCharsets.UTF_8));
        if (r.response() != null) {
            j.put("contentType", r.response().contentType());
        }
        j.put("wallNanos", r.wallNanos()).put("cpuNanos", r.cpuNanos()).put("allocatedBytes", r.allocatedBytes())
                .put("fuel", r.fuel() < 0 ? null : r.fuel()).put("version", r.version());
        if (r.outcome() != Outcome.OK) {
            j.put("message", r.message());
        }
        return j.toString();
    }

    private static Recording startRecording() {
        try {
            Recording rec = new Recording(Jfc.configuration());
            rec.setName("ringfence-invoke");
            rec.start();
            return rec;
        } catch (RuntimeException e) {
            throw new UsageException("cannot start a JFR recording: " + e.getMessage());
        }
    }

    private static void stopRecording(Recording rec, InvokeOptions o, PrintStream err) {
        try {
            rec.stop();
            rec.dump(o.jfr);
        } catch (IOException | RuntimeException e) {
            err.println("ringfence: cannot write the recording to " + o.jfr + ": " + e.getMessage());
        } finally {
            rec.close();
        }
    }
}
