package dev.ringfence.agent.gates;

/**
 * Run in a JVM of its own by {@link GateTransformerTest}: a child's transformer given a gated
 * class it cannot weave. It must halt the JVM with {@link Gates#EXIT_GATES_BROKEN}; reaching the
 * end of {@code main} exits 0.
 */
public final class HaltOnFailureMain {
    private HaltOnFailureMain() {
    }

    /**
     * @param args unused
     */
    public static void main(String[] args) {
        new GateTransformer(null, null, GateTransformer.OnFailure.HALT).transform(null, "java/lang/Runtime", null, null,
                new byte[] {1, 2, 3});
        System.out.println("went on with java.lang.Runtime ungated");
    }
}
