import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;

/**
 * A step of the agent module's build, run on the shaded jar by {@code exec-maven-plugin} with ASM
 * on the class path (see {@code agent/pom.xml}); not part of the agent.
 *
 * <p>Rewrites, in place, the class files under the given prefixes that are older than Java 6 as
 * Java 8 class files with stack map frames; their code is left as it is. ASM is compiled for Java
 * 5, and the JVM's start-up archives (the JDK 25 AOT cache, a dynamic AppCDS archive) hold no
 * class that old: a process-tier child started from its start-up cache then loaded and verified
 * ASM's classes from the jar at every start, because the archived classes that use them name them
 * in their verification constraints (3-5 ms of a JDK 25 child's start here, BENCHMARKS.md 7.1).
 * Running it again changes nothing.
 *
 * <p>Usage: {@code java -cp ASM UpgradeClassVersions.java JAR PREFIX...}; exit code 1 when a
 * class cannot be rewritten (the jar is then left as it was), 2 on a usage error.
 */
public final class UpgradeClassVersions {
    /** Java 6: the first class file version the archives hold. */
    private static final int ARCHIVABLE = 50;

    private final Map<String, byte[]> classes = new HashMap<>();

    private UpgradeClassVersions() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: UpgradeClassVersions JAR PREFIX...");
            System.exit(2);
        }
        Path jar = Path.of(args[0]);
        List<String> prefixes = List.of(args).subList(1, args.length);
        try {
            int n = new UpgradeClassVersions().upgrade(jar, prefixes);
            System.out.println("UpgradeClassVersions: " + n + " class files under " + prefixes + " rewritten as Java 8 in "
                    + jar.getFileName());
        } catch (RuntimeException e) {
            System.err.println("UpgradeClassVersions: " + e);
            System.exit(1);
        }
    }

    private int upgrade(Path jar, List<String> prefixes) throws IOException {
        List<ZipEntry> entries = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            Enumeration<? extends ZipEntry> e = zip.entries();
            while (e.hasMoreElements()) {
                ZipEntry entry = e.nextElement();
                byte[] bytes;
                try (InputStream in = zip.getInputStream(entry)) {
                    bytes = in.readAllBytes();
                }
                entries.add(entry);
                contents.add(bytes);
                if (entry.getName().endsWith(".class")) {
                    classes.put(entry.getName().substring(0, entry.getName().length() - ".class".length()), bytes);
                }
            }
        }
        int rewritten = 0;
        for (int i = 0; i < entries.size(); i++) {
            String name = entries.get(i).getName();
            if (name.endsWith(".class") && prefixes.stream().anyMatch(name::startsWith) && major(contents.get(i)) < ARCHIVABLE) {
                contents.set(i, rewrite(name, contents.get(i)));
                rewritten++;
            }
        }
        if (rewritten == 0) {
            return 0;
        }
        // beside it, made as the jar was (a temporary file's owner-only permissions would stay)
        Path tmp = jar.resolveSibling(jar.getFileName() + ".upgrading");
        Files.deleteIfExists(tmp);
        try {
            try (OutputStream file = Files.newOutputStream(tmp); ZipOutputStream out = new ZipOutputStream(file)) {
                for (int i = 0; i < entries.size(); i++) {
                    // the entries in their order (the manifest stays first), each with its time
                    ZipEntry copy = new ZipEntry(entries.get(i).getName());
                    copy.setTime(entries.get(i).getTime());
                    out.putNextEntry(copy);
                    out.write(contents.get(i));
                    out.closeEntry();
                }
            }
            Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return rewritten;
    }

    private static int major(byte[] classFile) {
        return ((classFile[6] & 0xff) << 8) | (classFile[7] & 0xff);
    }

    /** The class as a Java 8 class file, frames computed; throws when it cannot be (a JSR, say). */
    private byte[] rewrite(String name, byte[] classFile) {
        ClassWriter w = new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
            @Override
            protected String getCommonSuperClass(String a, String b) {
                return commonSuperClass(a, b);
            }
        };
        try {
            new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9, w) {
                @Override
                public void visit(int version, int access, String n, String signature, String superName,
                        String[] interfaces) {
                    super.visit(Opcodes.V1_8, access, n, signature, superName, interfaces);
                }
            }, 0);
            return w.toByteArray();
        } catch (RuntimeException e) {
            throw new IllegalStateException(name + ": " + e, e);
        }
    }

    /**
     * What the verifier merges two class types to: their closest common superclass, or
     * {@code Object} when either is an interface (the verifier takes an interface type for
     * {@code Object}). Types in the jar are read from it, the JDK's from this JVM.
     */
    private String commonSuperClass(String a, String b) {
        if (isInterface(a) || isInterface(b)) {
            return "java/lang/Object";
        }
        List<String> above = new ArrayList<>();
        for (String t = a; t != null; t = superName(t)) {
            above.add(t);
        }
        for (String t = b; t != null; t = superName(t)) {
            if (above.contains(t)) {
                return t;
            }
        }
        return "java/lang/Object";
    }

    private String superName(String type) {
        byte[] in = classes.get(type);
        if (in != null) {
            return new ClassReader(in).getSuperName();
        }
        Class<?> s = jdkClass(type).getSuperclass();
        return s == null ? null : s.getName().replace('.', '/');
    }

    private boolean isInterface(String type) {
        byte[] in = classes.get(type);
        if (in != null) {
            return (new ClassReader(in).getAccess() & Opcodes.ACC_INTERFACE) != 0;
        }
        return jdkClass(type).isInterface();
    }

    private static Class<?> jdkClass(String type) {
        try {
            return Class.forName(type.replace('/', '.'), false, ClassLoader.getPlatformClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("neither in the jar nor in the JDK: " + type, e);
        }
    }
}
