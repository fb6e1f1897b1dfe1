package dev.ringfence.agent.gates;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gate sites woven so far: one per gated JDK method, numbered so that a gate passes a constant
 * {@code int} and the hook finds its rule and API name with an array load.
 *
 * <p>Assumptions and guarantees: {@link #register} is called by the transformer (any thread,
 * rarely) and is synchronized; {@link #get} is called by gates on sandbox threads without a lock
 * and sees every site registered before the class holding its gate was defined, because the site
 * array is published through a volatile field. A method keeps its number when it is woven again.
 */
final class Sites {
    /** One gated method. */
    record Site(int id, GateSpec spec, String owner, String method, String desc, String api) {
    }

    private static final Map<String, Site> BY_KEY = new HashMap<>();
    private static volatile Site[] sites = new Site[0];

    private Sites() {
    }

    /**
     * Numbers a gated method.
     *
     * @param spec its row
     * @param owner the class, internal name
     * @param method the method name
     * @param desc its descriptor
     * @return the site
     */
    static synchronized Site register(GateSpec spec, String owner, String method, String desc) {
        String key = key(spec, owner, method, desc);
        Site s = BY_KEY.get(key);
        if (s == null) {
            Site[] old = sites;
            s = new Site(old.length, spec, owner, method, desc, spec.apiFor(method));
            Site[] grown = Arrays.copyOf(old, old.length + 1);
            grown[s.id()] = s;
            BY_KEY.put(key, s);
            sites = grown;
        }
        return s;
    }

    /**
     * Takes the numbering of another JVM that wove the same classes ({@link WovenGates}): every
     * site keeps the number it had there. Only before anything was registered here.
     *
     * @param numbered sites numbered 0, 1, 2 ... in order
     * @throws IllegalStateException when sites exist already or the numbers have gaps
     */
    static synchronized void preload(List<Site> numbered) {
        if (sites.length != 0) {
            throw new IllegalStateException("sites were numbered here already");
        }
        Site[] all = new Site[numbered.size()];
        for (Site s : numbered) {
            if (s.id() < 0 || s.id() >= all.length || all[s.id()] != null) {
                throw new IllegalStateException("site numbers are not 0.." + (all.length - 1) + ": " + s.id());
            }
            all[s.id()] = s;
            BY_KEY.put(key(s.spec(), s.owner(), s.method(), s.desc()), s);
        }
        sites = all;
    }

    /** @return every site, in the order of their numbers */
    static List<Site> all() {
        return List.of(sites);
    }

    /**
     * @param id a site number
     * @return the site, or null for a number never handed out
     */
    static Site get(int id) {
        Site[] all = sites;
        return id >= 0 && id < all.length ? all[id] : null;
    }

    private static String key(GateSpec spec, String owner, String method, String desc) {
        return owner + '.' + method + desc + '#' + spec.kind();
    }

    /** @return the capabilities that have at least one woven site */
    static synchronized Set<String> coveredCapabilities() {
        Set<String> out = new LinkedHashSet<>();
        for (Site s : sites) {
            out.add(s.spec().capability());
        }
        return out;
    }

    /** @return how many sites exist */
    static int count() {
        return sites.length;
    }
}
