package dev.ringfence.agent.gates;

import dev.ringfence.limiter.Policy;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.function.Consumer;

/** A sandbox loader for tests: defines its own {@link HandlerCode}, delegates everything else. */
final class SandboxedTestLoader extends ClassLoader implements dev.ringfence.limiter.SandboxedLoader {
    private static final String HANDLER_CODE = HandlerCode.class.getName();

    SandboxedTestLoader() {
        super("sandboxed-test", SandboxedTestLoader.class.getClassLoader());
    }

    @Override
    public Policy policy() {
        return Policy.DENY_ALL;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!name.equals(HANDLER_CODE)) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                String file = name.replace('.', '/') + ".class";
                try (InputStream in = getParent().getResourceAsStream(file)) {
                    byte[] bytes = in.readAllBytes();
                    c = defineClass(name, bytes, 0, bytes.length);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return c;
        }
    }

    /** @return handler code that calls a gate */
    @SuppressWarnings("unchecked")
    static Consumer<Object[]> handlerCode() {
        try {
            return (Consumer<Object[]>) new SandboxedTestLoader().loadClass(HANDLER_CODE).getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
