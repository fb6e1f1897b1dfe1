package dev.ringfence.agent.attach;

import dev.ringfence.api.BudgetExceededException;
import dev.ringfence.api.Outcome;
import dev.ringfence.boot.BudgetHook;
import dev.ringfence.boot.BudgetProbes;
import dev.ringfence.jfr.RingfenceEvents;
import dev.ringfence.limiter.HostMeters;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent attached to a running JVM: its transformer, the meters of the host threads' budgeted
 * calls, and the hook {@link BudgetProbes} forwards to. Lives in the attach class loader; the
 * only references the JVM holds to it are the installed hook and the registered transformer,
 * both dropped by {@link #detach}.
 *
 * <p>Assumptions and guarantees: the hook methods run on host threads, concurrently; each
 * budgeted call is metered on its own thread by {@link HostMeters}. A budget that stops calls
 * ends the outermost budgeted call with {@link BudgetExceededException} of the class the host
 * itself sees (looked up through the budgeted class's loader); a budget that only observes lets
 * the call run and logs the overrun once the call returns.
 */
final class AttachedRuntime implements BudgetHook {
    private final Instrumentation inst;
    private final SiteTable sites;
    private final AttachTransformer transformer;
    private final HostMeters meters = new HostMeters();
    private final BudgetCounters counters;
    private volatile AttachHttp http; // set once by attach, read by detach (another thread)
    private volatile boolean closing;

    private AttachedRuntime(Instrumentation inst, AttachSettings settings) {
        this.inst = inst;
        this.sites = new SiteTable(settings.budgets());
        this.transformer = new AttachTransformer(sites);
        this.counters = new BudgetCounters(settings.budgets());
    }

    /**
     * Attaches: installs the hook, registers the transformer and retransforms the loaded classes
     * the settings name.
     *
     * @param inst the instrumentation service
     * @param settings the settings
     * @return the report: what was instrumented, one line each; lines starting {@code error:} say
     *     what failed
     */
    static List<String> attach(Instrumentation inst, AttachSettings settings) {
        if (!inst.isRetransformClassesSupported()) {
            return List.of(Steps.NOT_ATTACHED + "this JVM cannot retransform classes");
        }
        AttachedRuntime r = new AttachedRuntime(inst, settings);
        if (!BudgetProbes.install(r)) {
            return List.of(Steps.NOT_ATTACHED + "ringfence is attached to this JVM already: detach it first");
        }
        try {
            return r.start(settings);
        } catch (RuntimeException | LinkageError e) {
            // leave nothing behind: what start did is undone as by a detach
            return List.of(Steps.NOT_ATTACHED + e, r.detach());
        }
    }

    /** Opens the metrics port if configured, registers the transformer and retransforms what is loaded. */
    private List<String> start(AttachSettings settings) {
        List<String> report = new ArrayList<>();
        if (settings.httpPort() >= 0) {
            try {
                http = AttachHttp.start(settings.httpHost(), settings.httpPort(), settings.budgets(), counters);
                report.add("metrics on " + http.url() + "/metrics, status on " + http.url() + "/status");
            } catch (IOException | RuntimeException e) {
                BudgetProbes.uninstall(this);
                return List.of(Steps.NOT_ATTACHED + "cannot serve metrics on " + settings.httpHost() + ":"
                        + settings.httpPort() + ": " + e);
            }
        }
        inst.addTransformer(transformer, true);
        for (MethodBudget b : settings.budgets()) {
            report.add("budget " + b.name() + ": methods " + b.methods() + ", " + Reports.budgets(b.budgets())
                    + ", onExceeded=" + (b.stops() ? "throw" : "log")
                    + (b.instrument().isEmpty() ? "" : ", instrument " + b.instrument()));
        }
        List<Class<?>> loaded = loadedTargets(c -> transformer.wants(c.getName()));
        report.addAll(Retransform.all(inst, loaded));
        report.addAll(transformer.lines());
        report.addAll(transformer.errors());
        if (transformer.lines().isEmpty()) {
            report.add("nothing loaded matches yet: classes are transformed as they load");
        }
        return report;
    }

    private List<Class<?>> loadedTargets(java.util.function.Predicate<Class<?>> which) {
        List<Class<?>> out = new ArrayList<>();
        for (Class<?> c : inst.getAllLoadedClasses()) {
            if (!c.isArray() && !c.isPrimitive() && inst.isModifiableClass(c) && which.test(c)) {
                out.add(c);
            }
        }
        return out;
    }

    @Override
    public String detach() {
        closing = true;
        List<String> report = new ArrayList<>();
        long waitUntil = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (meters.running() > 0 && System.nanoTime() - waitUntil < 0) {
            sleepBriefly();
        }
        if (meters.running() > 0) {
            report.add("error: " + meters.running() + " budgeted calls still running after 5 s: their threads keep "
                    + "a reference to the agent until they return");
        }
        inst.removeTransformer(transformer);
        java.util.Set<String> names = transformer.transformed();
        List<Class<?>> classes = loadedTargets(c -> names.contains(c.getName()));
        report.addAll(Retransform.all(inst, classes));
        report.addAll(Retransform.verifyRestored(inst, classes, transformer::original, BudgetWeaver.PROBES));
        BudgetProbes.uninstall(this);
        if (http != null) {
            http.stop();
            report.add("closed " + http.url());
        }
        report.addAll(counters.summary());
        return String.join("\n", report);
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // --- the hook

    @Override
    public int enter() {
        return meters.enter();
    }

    @Override
    public void tick() {
        meters.tick();
    }

    @Override
    public int poll() {
        return meters.poll();
    }

    @Override
    public void caught(Throwable caught) {
        meters.caught(caught);
    }

    @Override
    public void arrayTotal(long elements, int elementShift, long arrays) {
        meters.arrayTotal(elements, elementShift, arrays);
    }

    @Override
    public void begin(int site) {
        SiteTable.Site s = sites.site(site);
        if (s != null && (!closing || meters.inInvocation())) {
            meters.begin(s.budget().budgets(), s.budget().stops(), s);
        }
    }

    @Override
    public void end(Class<?> owner) {
        HostMeters.Ended e = meters.end(null);
        if (e != null && ended(e)) {
            throw exception(owner, e);
        }
    }

    @Override
    public Throwable failed(Throwable thrown, Class<?> owner) {
        HostMeters.Ended e = meters.end(thrown);
        return e != null && ended(e) ? exception(owner, e) : thrown;
    }

    /** Counts an ended invocation and logs an observed overrun; true when the budget stopped it. */
    private boolean ended(HostMeters.Ended e) {
        SiteTable.Site s = (SiteTable.Site) e.tag();
        counters.record(s.budget().name(), e);
        if (!e.stopped() && e.outcome() != Outcome.OK && e.outcome() != Outcome.ERROR) {
            String why = s.budget().stops() ? "no instrumented code ran after the overrun: add the packages it spent its time "
                    + "in to budget." + s.budget().name() + ".instrument" : "onExceeded=log";
            System.err.println("ringfence: budget '" + s.budget().name() + "' of " + s.method() + " exceeded, not stopped ("
                    + why + "): " + e.outcome() + ": " + e.message());
        }
        RingfenceEvents.invocation(s.budget().name(), s.method(), Thread.currentThread().getName(), e.outcome().name(),
                e.wallNanos(), e.cpuNanos(), e.allocBytes(), e.fuel(), e.message());
        return e.stopped();
    }

    /**
     * The exception a stopped call ends with: {@link BudgetExceededException} as the budgeted
     * class's own loader sees it (so that the host's {@code catch} matches), or this loader's
     * when the host has none.
     */
    private static RuntimeException exception(Class<?> owner, HostMeters.Ended e) {
        SiteTable.Site s = (SiteTable.Site) e.tag();
        String message = "budget '" + s.budget().name() + "' of " + s.method() + ": " + e.outcome() + ": " + e.message();
        ClassLoader l = owner.getClassLoader();
        try {
            Class<?> type = Class.forName(BudgetExceededException.class.getName(), false, l);
            Class<?> outcomes = Class.forName(Outcome.class.getName(), false, l);
            if (type != BudgetExceededException.class) {
                Object o = outcomes.getMethod("valueOf", String.class).invoke(null, e.outcome().name());
                return (RuntimeException) type.getConstructor(outcomes, String.class).newInstance(o, message);
            }
        } catch (ReflectiveOperationException | LinkageError | ClassCastException notThere) {
            // the host has no ringfence-api of its own: it sees ours
        }
        return new BudgetExceededException(e.outcome(), message);
    }
}
