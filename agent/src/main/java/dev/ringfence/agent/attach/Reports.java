package dev.ringfence.agent.attach;

import dev.ringfence.api.Budgets;
import java.util.ArrayList;
import java.util.List;

/** Text for the attach and detach reports. */
final class Reports {
    private Reports() {
    }

    /**
     * @param b budgets
     * @return like {@code timeout=200.0 ms, fuel=1000000}, the limits that are set
     */
    static String budgets(Budgets b) {
        List<String> out = new ArrayList<>();
        if (b.wallNanos() > 0) {
            out.add("timeout=" + b.wallNanos() / 1_000_000 + "ms");
        }
        if (b.cpuNanos() > 0) {
            out.add("cpu=" + b.cpuNanos() / 1_000_000 + "ms");
        }
        if (b.allocBytes() > 0) {
            out.add("alloc=" + b.allocBytes() + "B");
        }
        if (b.fuel() > 0) {
            out.add("fuel=" + b.fuel());
        }
        return String.join(", ", out);
    }
}
