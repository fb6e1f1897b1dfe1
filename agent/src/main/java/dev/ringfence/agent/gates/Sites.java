package dev.ringfence.agent.gates;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
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
        String key = owner + '.' + method + desc + '#' + spec.kind();
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
     * @param id a site number
     * @return the site, or null for a number never handed out
     */
    static Site get(int id) {
        Site[] all = sites;
        return id >= 0 && id < all.length ? all[id] : null;
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
