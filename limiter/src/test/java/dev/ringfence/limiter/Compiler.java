package dev.ringfence.limiter;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/** Compiles Java sources in memory, for tests that need real class files. */
final class Compiler {
    private Compiler() {
    }

    /**
     * @param sources class name to source text
     * @return binary class name to class file bytes (nested classes included)
     */
    static Map<String, byte[]> compile(Map<String, String> sources) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StandardJavaFileManager std = javac.getStandardFileManager(null, null, null);
        Map<String, ByteArrayOutputStream> out = new HashMap<>();
        JavaFileManager fm = new ForwardingJavaFileManager<>(std) {
            @Override
            public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
                    FileObject sibling) {
                return new SimpleJavaFileObject(URI.create("mem:///" + className.replace('.', '/') + ".class"), kind) {
                    @Override
                    public OutputStream openOutputStream() {
                        ByteArrayOutputStream b = new ByteArrayOutputStream();
                        out.put(className, b);
                        return b;
                    }
                };
            }
        };
        List<JavaFileObject> units = new ArrayList<>();
        sources.forEach((name, src) -> units.add(new SimpleJavaFileObject(
                URI.create("string:///" + name.replace('.', '/') + ".java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return src;
            }
        }));
        List<String> options = List.of("--release", "17", "-classpath", System.getProperty("java.class.path"),
                "-nowarn", "-Xlint:none");
        java.io.StringWriter diag = new java.io.StringWriter();
        if (!javac.getTask(diag, fm, null, options, null, units).call()) {
            throw new IllegalStateException("compilation failed: " + diag);
        }
        Map<String, byte[]> classes = new HashMap<>();
        out.forEach((k, v) -> classes.put(k, v.toByteArray()));
        return classes;
    }

    /** A loader that defines instrumented classes, child-first for the compiled ones. */
    static final class InstrumentingLoader extends ClassLoader implements SandboxedLoader {
        private final Map<String, byte[]> classes;
        private final Instrumenter instrumenter;
        private final Guard guard = new Guard();

        InstrumentingLoader(Map<String, byte[]> classes) {
            this(classes, Metering.COUNT);
        }

        InstrumentingLoader(Map<String, byte[]> classes, Metering metering) {
            super(Compiler.class.getClassLoader());
            this.classes = classes;
            this.instrumenter = new Instrumenter(metering);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null && classes.containsKey(name)) {
                    byte[] b = instrumenter.instrument(classes.get(name)).bytes();
                    c = defineClass(name, b, 0, b.length);
                }
                return c != null ? c : super.loadClass(name, resolve);
            }
        }

        @Override
        public Policy policy() {
            return Policy.DENY_ALL;
        }

        @Override
        public Guard guard() {
            return guard;
        }

        @Override
        public Metering metering() {
            return instrumenter.metering();
        }
    }
}
