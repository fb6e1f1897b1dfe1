package dev.ringfence.agent.gates;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Which classes count as the JDK's when the gates look at a class or a frame. */
class CallersTest {
    @Deprecated
    private static final class Annotated {
    }

    @Test
    void shouldCountTheJdksProxyOfAJdkAnnotationAsTheJdks() {
        Class<?> proxy = Annotated.class.getAnnotation(Deprecated.class).getClass();
        assertTrue(Proxy.isProxyClass(proxy));
        assertTrue(Callers.jdk(proxy), proxy + " in " + proxy.getModule());
        assertFalse(Callers.host(proxy));
    }

    @Test
    void shouldNotCountAProxyInAnotherLoaderAsTheJdks() {
        Object own = Proxy.newProxyInstance(CallersTest.class.getClassLoader(), new Class<?>[] {Supplier.class},
                (p, m, a) -> null);
        assertFalse(Callers.jdk(own.getClass()), own.getClass() + " in " + own.getClass().getModule());
    }

    @Test
    void shouldCountBootLayerClassesAsTheJdksAndOwnClassesNot() {
        assertTrue(Callers.jdk(String.class));
        assertFalse(Callers.jdk(CallersTest.class));
    }
}
