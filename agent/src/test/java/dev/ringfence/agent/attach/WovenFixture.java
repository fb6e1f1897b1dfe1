package dev.ringfence.agent.attach;

/** Methods for {@link BudgetWeaverTest} to wrap: returns of each kind, a handler of its own, a throw. */
public class WovenFixture {
    /**
     * @param s a text
     * @return it, prefixed
     */
    public static String greet(String s) {
        return "hi " + s;
    }

    /** @return 7, from its own catch block */
    public static int catchesItsOwn() {
        try {
            throw new IllegalStateException("inner");
        } catch (IllegalStateException e) {
            return 7;
        }
    }

    /** Always throws. */
    public static void fails() {
        throw new IllegalArgumentException("bad");
    }

    /**
     * @param x a number
     * @return twice it
     */
    public long twice(long x) {
        if (x > 100) {
            return x + x;
        }
        return 2 * x;
    }
}
