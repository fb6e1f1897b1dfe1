package dev.ringfence.agent.gates;

import dev.ringfence.limiter.Policy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * The network rules: a handler resolves and connects only to the hosts (and ports) on its policy's
 * list, opens no socket at all when the list is empty, binds only ephemeral ports and never
 * listens. An address is allowed by its literal form, or by a host name on the list that resolves
 * to it (a name merely attached to an address, as {@code InetAddress.getByAddress(name, bytes)}
 * does, proves nothing). Stateless and thread-safe.
 */
final class NetRules {
    private NetRules() {
    }

    /**
     * @param policy the invocation's policy
     * @return null when a socket may be opened, else what was denied
     */
    static String socket(Policy policy) {
        return policy.anyNetwork() ? null : "no host is allowed";
    }

    /**
     * @param policy the invocation's policy
     * @param address the remote address (an {@link InetAddress})
     * @param port the remote port
     * @return null when allowed, else what was denied
     */
    static String connect(Policy policy, Object address, int port) {
        if (!(address instanceof InetAddress)) {
            return address == null ? null : "connect to " + address;
        }
        InetAddress a = (InetAddress) address;
        return allowed(policy, a, port) ? null : a.getHostAddress() + ":" + port;
    }

    /**
     * @param policy the invocation's policy
     * @param address the local address
     * @param port the local port
     * @return null when allowed, else what was denied
     */
    static String bind(Policy policy, Object address, int port) {
        if (policy.anyNetwork() && port == 0) {
            return null;
        }
        return "bind " + (address instanceof InetAddress ? ((InetAddress) address).getHostAddress() : address) + ":" + port;
    }

    /**
     * @param policy the invocation's policy
     * @param target a datagram's target
     * @return null when allowed, else what was denied
     */
    static String send(Policy policy, Object target) {
        if (target instanceof InetSocketAddress) {
            InetSocketAddress t = (InetSocketAddress) target;
            if (t.getAddress() == null) {
                return null; // unresolved: the channel refuses it itself
            }
            return connect(policy, t.getAddress(), t.getPort());
        }
        return target == null ? null : "send to " + target;
    }

    /**
     * @param policy the invocation's policy
     * @param host a host name about to be resolved (not a literal address)
     * @return null when allowed, else what was denied
     */
    static String resolve(Policy policy, Object host) {
        if (!(host instanceof String)) {
            return null;
        }
        String h = (String) host;
        // the JDK answers literals itself: what reaches the gate is a name lookup
        if (h.isEmpty() || policy.mayConnect(h, -1)) {
            return null;
        }
        return h;
    }

    /**
     * @param policy the invocation's policy
     * @param address an address about to be looked up in reverse
     * @return null when allowed, else what was denied
     */
    static String reverse(Policy policy, Object address) {
        if (!(address instanceof InetAddress)) {
            return null;
        }
        InetAddress a = (InetAddress) address;
        return allowed(policy, a, -1) ? null : a.getHostAddress();
    }

    private static boolean allowed(Policy policy, InetAddress a, int port) {
        if (policy.mayConnect(a.getHostAddress(), port)) {
            return true;
        }
        String s = a.toString(); // "name/literal": no lookup
        int slash = s.indexOf('/');
        String name = slash > 0 ? s.substring(0, slash) : null;
        if (name == null || !policy.mayConnect(name, port)) {
            return false;
        }
        try {
            for (InetAddress r : InetAddress.getAllByName(name)) {
                if (r.equals(a)) {
                    return true;
                }
            }
        } catch (UnknownHostException e) {
            return false;
        }
        return false;
    }
}
