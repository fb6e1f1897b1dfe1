package dev.ringfence.agent.attach;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringfence.boot.BudgetHook;
import dev.ringfence.boot.BudgetProbes;
import dev.ringfence.limiter.Instrumenter;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link BudgetWeaver}: the entry and exits of budgeted methods call the bridge. */
class BudgetWeaverTest {
    private static final String FIXTURE = WovenFixture.class.getName();

    private final List<String> calls = new ArrayList<>();
    private final RuntimeException replacement = new IllegalStateException("replaced");
    private final BudgetHook hook = new RecordingHook();

    /** Records the wrapper's calls; replaces an {@code IllegalArgumentException} on the way out. */
    private final class RecordingHook implements BudgetHook {
        @Override
        public int enter() {
            return 1;
        }

        @Override
        public void tick() {
        }

        @Override
        public int poll() {
            return 1;
        }

        @Override
        public void caught(Throwable caught) {
        }

        @Override
        public void arrayTotal(long elements, int elementShift, long arrays) {
        }

        @Override
        public void begin(int site) {
            calls.add("begin " + site);
        }

        @Override
        public void end(Class<?> owner) {
            calls.add("end " + owner.getSimpleName());
        }

        @Override
        public Throwable failed(Throwable thrown, Class<?> owner) {
            calls.add("failed " + thrown.getClass().getSimpleName());
            return thrown instanceof IllegalArgumentException ? replacement : thrown;
        }

        @Override
        public String detach() {
            return "";
        }
    }

    @BeforeEach
    void install() {
        assertTrue(BudgetProbes.install(hook));
    }

    @AfterEach
    void uninstall() {
        BudgetProbes.uninstall(hook);
    }

    private static Class<?> woven(boolean instrumentedFirst) throws IOException, ClassNotFoundException {
        byte[] bytes;
        try (InputStream in = BudgetWeaverTest.class.getResourceAsStream("WovenFixture.class")) {
            bytes = in.readAllBytes();
        }
        if (instrumentedFirst) {
            bytes = Instrumenter.bodiesOnly(BudgetWeaver.PROBES).instrument(bytes).bytes();
        }
        List<String> names = List.of("greet", "catchesItsOwn", "fails", "twice");
        BudgetWeaver.Result r = BudgetWeaver.weave(bytes, (c, m, d) -> c.equals(FIXTURE) ? names.indexOf(m) : -1);
        assertEquals(4, r.wrapped().size(), r.toString());
        assertEquals(List.of(), Instrumenter.verify(r.bytes()));
        byte[] out = r.bytes();
        return new ClassLoader(BudgetWeaverTest.class.getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (name.equals(FIXTURE)) {
                    synchronized (getClassLoadingLock(name)) {
                        Class<?> c = findLoadedClass(name);
                        return c != null ? c : defineClass(name, out, 0, out.length);
                    }
                }
                return super.loadClass(name, resolve);
            }
        }.loadClass(FIXTURE);
    }

    private static Object call(Class<?> c, String name, Object target, Object... args) throws Throwable {
        for (Method m : c.getMethods()) {
            if (m.getName().equals(name)) {
                try {
                    return m.invoke(target, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }
        }
        throw new NoSuchMethodException(name);
    }

    @Test
    void shouldBeginAndEndAroundAReturn() throws Throwable {
        Class<?> c = woven(false);
        assertEquals("hi you", call(c, "greet", null, "you"));
        assertEquals(List.of("begin 0", "end WovenFixture"), calls);
    }

    @Test
    void shouldLeaveTheMethodsOwnHandlersFirst() throws Throwable {
        Class<?> c = woven(true);
        assertEquals(7, call(c, "catchesItsOwn", null));
        assertEquals(List.of("begin 1", "end WovenFixture"), calls);
    }

    @Test
    void shouldThrowWhatTheBridgeSaysInsteadOfWhatTheMethodThrew() throws Throwable {
        Class<?> c = woven(true);
        assertSame(replacement, assertThrows(IllegalStateException.class, () -> call(c, "fails", null)));
        assertEquals(List.of("begin 2", "failed IllegalArgumentException"), calls);
    }

    @Test
    void shouldEndEveryReturnOfAnInstanceMethod() throws Throwable {
        Class<?> c = woven(true);
        Object o = c.getConstructor().newInstance();
        assertEquals(400L, call(c, "twice", o, 200L));
        assertEquals(4L, call(c, "twice", o, 2L));
        assertEquals(List.of("begin 3", "end WovenFixture", "begin 3", "end WovenFixture"), calls);
    }
}
