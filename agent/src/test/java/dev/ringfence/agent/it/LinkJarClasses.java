package dev.ringfence.agent.it;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Run by {@link AgentJarIT} in a JVM of its own, on the agent jar's class path: loads and
 * initialises every class of the jar under a prefix, so that the JVM verifies each with its stack
 * map frames; prints how many, and each that failed. Exit code 1 when one failed.
 */
public final class LinkJarClasses {
    private LinkJarClasses() {
    }

    public static void main(String[] args) throws IOException {
        String prefix = args[1];
        List<String> failed = new ArrayList<>();
        int linked = 0;
        try (JarFile jar = new JarFile(args[0])) {
            Enumeration<JarEntry> e = jar.entries();
            while (e.hasMoreElements()) {
                String name = e.nextElement().getName();
                if (!name.startsWith(prefix) || !name.endsWith(".class") || name.endsWith("module-info.class")) {
                    continue;
                }
                String className = name.substring(0, name.length() - ".class".length()).replace('/', '.');
                try {
                    Class.forName(className, true, LinkJarClasses.class.getClassLoader());
                    linked++;
                } catch (Throwable t) {
                    failed.add(className + ": " + t);
                }
            }
        }
        System.out.println("linked " + linked);
        failed.forEach(System.out::println);
        System.exit(failed.isEmpty() ? 0 : 1);
    }
}
