package dev.ringfence.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.agent.gates.Gates;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What moves an {@code isolation=auto} version for a native library, and what does not. */
class AutoTierTest {
    private static final String DENIAL = "denied: java.lang.System.load (" + Gates.NATIVE_ONLY_IN_A_CHILD
            + ": /opt/lib/libx.so from a.B)";

    @Test
    void shouldMoveForANativeLibraryOnlyWhenThePolicyAllowsIt() {
        RouteSettings natives = RouteSettings.of(Map.of("handler", "a.B", "policy.native", "true"), null, RouteDefaults.NONE);
        RouteSettings plain = RouteSettings.of(Map.of("handler", "a.B"), null, RouteDefaults.NONE);

        assertTrue(AutoTier.asksForNativeLibrary(DENIAL, natives));
        // a handler that quotes the words (in a file name it was denied, say) moves nothing
        assertFalse(AutoTier.asksForNativeLibrary("denied: java.io.FileInputStream.<init> (/tmp/"
                + Gates.NATIVE_ONLY_IN_A_CHILD + ")", plain));
        assertFalse(AutoTier.asksForNativeLibrary(DENIAL, plain));
        assertFalse(AutoTier.asksForNativeLibrary(null, natives));
        assertFalse(AutoTier.asksForNativeLibrary("denied: java.lang.Runtime.exit", natives));
    }
}
