package dev.ringfence.agent.gates;

import dev.ringfence.loader.InstrumentedClassCache;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Installs the capability gates in JDK classes: the checks that enforce a handler's deny policy
 * wherever its code reaches a capability (exit, processes, threads and shared pools, native code,
 * JDK internals, class loaders, global state, files, network, management), whether directly,
 * by reflection, through a method handle or through a JDK helper.
 *
 * <p>Installation: the two classes gated JDK methods call ({@code dev.ringfence.boot.Gate} and
 * its hook interface) are copied into a temporary jar appended to the boot class path, before
 * anything loads them (a process-tier child appends the one its server wrote, {@link #childBootJar});
 * the modules of the gated classes are made to read the boot loader's unnamed module, and
 * {@code java.lang} is opened to ringfence (so that pooled workers' thread locals can be cleared);
 * then the gate table's classes are retransformed. This class itself never touches
 * the boot classes, so that nothing loads them from the application class path first.
 */
public final class Gates {
    /** The classes that must be defined by the boot loader. */
    static final String[] BOOT_CLASSES = {"dev/ringfence/boot/Gate.class", "dev/ringfence/boot/GateHook.class"};

    /**
     * The system property ({@code true}) that makes {@link #install} weave only the gated classes
     * loaded already and leave the others to be woven when the JVM defines them. The process tier
     * starts its children with it: the host weaved and checked every gated class of the same JDK
     * with the same agent jar, and a child that loads a few hundred JDK classes it will never use
     * (JNDI, RMI, JFR, logging, beans...) only to weave them spends most of its start on that.
     */
    public static final String LAZY_PROPERTY = "ringfence.gates.lazy";
    /**
     * The system property naming directories ({@link File#pathSeparator} between them) that handler
     * code of this JVM may not touch whatever its policy grants ({@link #reserve}), from before its
     * first line runs: what a process-tier child's host reserved ({@link #reserveOption}), such as
     * the start-up cache, whose archives and boot jars the JVM and the gates trust, and the host's
     * class cache.
     */
    public static final String RESERVE_PROPERTY = "ringfence.reserve";

    /**
     * The exit code of a process-tier child whose gates could not be woven into a JDK class as it
     * loaded ({@link #LAZY_PROPERTY}): it halts rather than run on with that class ungated.
     */
    public static final int EXIT_GATES_BROKEN = 5;

    private static boolean installed;

    /** What this JVM wove at installation (eagerly), for its children; null until then or when lazy. */
    private static WovenGates woven;
    private static Path wovenFile;
    private static Path childBootJar;
    private static Path childBootJarSource;

    /**
     * Whether a policy that allows native libraries is honoured in this JVM: only in a child of
     * the process tier ({@code worker}), where a native library cannot take the host down with it.
     */
    private static volatile boolean nativeLibrariesHonoured;
    private static volatile boolean ownTemporaryDirectory;

    /**
     * What a native-library denial says when the policy allows native libraries but this JVM is
     * not a process-tier child: an {@code isolation=auto} route moves the version to a child on
     * seeing it ({@link dev.ringfence.agent.pipeline.AutoTier}).
     */
    public static final String NATIVE_ONLY_IN_A_CHILD = "native libraries load only in the process tier";

    private Gates() {
    }

    /**
     * Honours {@code policy.native} in this JVM from now on: called once by a process-tier child
     * before it opens its handler. Never called in a host.
     */
    public static void honourNativeLibraries() {
        nativeLibrariesHonoured = true;
    }

    /**
     * Lets handlers read {@code java.io.tmpdir} in this JVM from now on: called once by a
     * process-tier child started with its route's own temporary directory ({@code tmpdir}), where
     * the property names that directory (below the route's {@code policy.write}) rather than the
     * host's. Never called in a host.
     */
    public static void ownTemporaryDirectory() {
        ownTemporaryDirectory = true;
    }

    /**
     * @param name a system property's name
     * @return whether it describes the host (its command line, class path, user, directories), so
     *     that a handler may not read it
     */
    static boolean hostProperty(Object name) {
        return name instanceof String && GateKeeper.HOST_PROPERTIES.contains(name)
                && !(ownTemporaryDirectory && "java.io.tmpdir".equals(name));
    }

    /** @return whether this JVM honours a policy's permission to load native libraries */
    public static boolean nativeLibrariesHonoured() {
        return nativeLibrariesHonoured;
    }

    /**
     * Installs every gate, once. On failure nothing is marked ready: the caller reports the error
     * and the sandbox refuses to run handler code.
     *
     * @param inst the instrumentation service
     * @throws IllegalStateException when a gate cannot be put in place on this JDK
     */
    public static synchronized void install(Instrumentation inst) {
        if (installed) {
            return;
        }
        try {
            if (!onBootClassPath()) {
                Path given = givenBootJar();
                if (given != null) {
                    try (JarFile j = new JarFile(given.toFile())) { // the JVM opens the file itself, by its name
                        inst.appendToBootstrapClassLoaderSearch(j);
                    } catch (IOException | RuntimeException e) {
                        // gone since it was looked at (its route removed, its server stopping): own one below
                    }
                }
                if (!onBootClassPath()) {
                    appendToBootClassPath(inst, List.of(BOOT_CLASSES));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("ringfence: cannot put the gate classes on the boot class path: " + e, e);
        }
        String reserved = System.getProperty(RESERVE_PROPERTY);
        if (reserved != null) {
            for (String dir : reserved.split(File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    reserve(Path.of(dir)); // before any handler code runs here
                }
            }
        }
        boolean lazy = Boolean.getBoolean(LAZY_PROPERTY);
        PrewovenRead prewoven = lazy ? PrewovenRead.start() : null;
        String recordTo = lazy ? System.getProperty(WovenGates.RECORD_PROPERTY) : null;
        WovenGates recorder = GateWiring.wire(inst, lazy, prewoven, recordTo != null && !recordTo.isEmpty());
        if (lazy && recorder != null) {
            writeRecorded(recorder, Path.of(recordTo));
        }
        woven = lazy ? null : recorder;
        installed = true;
    }

    /**
     * A child told to record its gates ({@value WovenGates#RECORD_PROPERTY}, the check child of a
     * start-up cache entry, see {@code StartupArchive}) writes what it was handed and what it wove
     * itself: a child started from the same archive then finds every class it retransforms there.
     * A failure is reported on stderr and leaves no file (whoever asked sees none).
     */
    private static void writeRecorded(WovenGates recorder, Path file) {
        try {
            recorder.addImageClassFiles();
            recorder.write(file);
        } catch (IOException | RuntimeException e) {
            System.err.println("ringfence: cannot record the woven gates in " + file + ": " + e);
        }
    }

    /**
     * Runs, in a JVM without the agent, what {@link #install} runs that needs no instrumentation
     * service, and puts no gate in force: for the JVM that records a process-tier child's start-up
     * cache, whose AOT cache (JDK 25 and later) then holds the call sites of a child's installation
     * linked. Never throws; a step that fails is skipped.
     *
     * @param wovenFile the host's file of woven gates ({@link #wovenGatesFile}), or null
     */
    public static void rehearseInstall(Path wovenFile) {
        try {
            WovenGates prewoven = wovenFile == null ? null : WovenGates.read(wovenFile);
            GateWiring.rehearse(prewoven);
        } catch (IOException | RuntimeException e) {
            // the cache holds less of the installation linked; nothing else depends on it
        }
    }

    /**
     * Readies, on the calling host thread, what the gates' caller checks build the first time they
     * walk a stack, so that a handler's first request does not. Never throws.
     */
    public static void primeCallerChecks() {
        try {
            Callers.prime(48);
        } catch (RuntimeException | LinkageError e) {
            // the first check builds it
        }
    }

    /**
     * Makes a directory of ringfence's own (channel files, woven gates, a start-up cache) off
     * limits to handler code in this JVM, whatever a policy grants.
     *
     * @param dir the directory
     */
    public static void reserve(Path dir) {
        FileRules.reserve(dir);
    }

    /**
     * The JVM option that reserves in a child ({@link #RESERVE_PROPERTY}) every directory this JVM
     * has reserved so far: its class caches, its start-up cache, its children's files. A child's
     * handler must not reach what the host's trusts, whatever the child's policy grants.
     *
     * @return the option, or null when nothing is reserved here
     */
    public static String reserveOption() {
        List<Path> dirs = FileRules.reservedDirectories();
        if (dirs.isEmpty()) {
            return null;
        }
        StringBuilder b = new StringBuilder("-D").append(RESERVE_PROPERTY).append('=');
        for (int i = 0; i < dirs.size(); i++) {
            if (i > 0) {
                b.append(File.pathSeparatorChar);
            }
            b.append(dirs.get(i));
        }
        return b.toString();
    }

    /**
     * The file of the gated classes this JVM wove (with its site numbers), written in {@code dir}
     * the first time it is asked for (and again when it was deleted since): what a process-tier child is pointed at with
     * {@link #wovenGatesOption} so that it does not weave them again.
     *
     * @param dir a directory of this JVM's children
     * @return the file, or null when the gates were not installed eagerly here or it cannot be written
     */
    public static synchronized Path wovenGatesFile(Path dir) {
        if (woven == null) {
            return null;
        }
        if (wovenFile != null && Files.isRegularFile(wovenFile)) {
            return wovenFile;
        }
        Path file = dir.resolve("woven-gates.bin");
        try {
            // what children put into JDK classes: written here, always (a file found there is not trusted)
            String unsafe = childFilesDirectory(dir);
            if (unsafe != null) {
                System.err.println("ringfence: children will weave their gates themselves: " + unsafe);
                return null;
            }
            woven.addImageClassFiles();
            woven.write(file);
        } catch (IOException | RuntimeException e) {
            System.err.println("ringfence: children will weave their gates themselves: cannot write " + file + ": " + e);
            return null;
        }
        wovenFile = file;
        return file;
    }

    /**
     * The jar of the boot classes this JVM's children append to their boot class path
     * ({@link #bootJarOption}) instead of each writing one of its own: written once, here, into
     * the directory of this JVM's children, so that a child killed with SIGKILL (a deadline, a
     * memory limit, a crash) leaves no file behind in the temporary directory. Only a JVM whose
     * gates are installed writes it: it is the one that deletes it again ({@link #deleteChildFiles}).
     *
     * @param dir a directory of this JVM's children
     * @param agentJar the children's agent jar, whose boot classes it holds
     * @return the jar, or null when this JVM has no gates or it cannot be written (each child then writes its own)
     */
    public static synchronized Path childBootJar(Path dir, Path agentJar) {
        if (!installed) {
            return null;
        }
        if (childBootJar != null && agentJar.equals(childBootJarSource) && Files.isRegularFile(childBootJar)) {
            return childBootJar;
        }
        Path file = dir.resolve("boot.jar");
        Path tmp = null;
        try {
            // written here, always (a file found there is not trusted)
            if (childFilesDirectory(dir) != null) {
                return null;
            }
            tmp = Files.createTempFile(dir, "boot-", ".tmp");
            copyBootClasses(agentJar, tmp);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(tmp);
            return null;
        }
        childBootJar = file;
        childBootJarSource = agentJar;
        return file;
    }

    /**
     * Readies a directory for the files this JVM's children trust ({@link #wovenGatesFile},
     * {@link #childBootJar}): reserved, so that no handler of this JVM reads or writes it, and
     * made private to this user.
     *
     * @return null when it is fit, else why not: another user can change it
     * @throws IOException when it cannot be made or looked at
     */
    private static String childFilesDirectory(Path dir) throws IOException {
        reserve(dir);
        InstrumentedClassCache.createPrivateDirectories(dir);
        return WovenGates.othersCanWrite(dir);
    }

    /**
     * @param jar what {@link #childBootJar} returned
     * @return the JVM option that points a child at it
     */
    public static String bootJarOption(Path jar) {
        return "-D" + BOOT_JAR_PROPERTY + "=" + jar;
    }

    /** The jar a child was pointed at ({@link #bootJarOption}), or null when none or it is not there. */
    private static Path givenBootJar() {
        String name = System.getProperty(BOOT_JAR_PROPERTY);
        if (name == null || name.isEmpty()) {
            return null;
        }
        Path jar = Path.of(name);
        return Files.isRegularFile(jar) ? jar : null;
    }

    /**
     * Deletes the files {@link #wovenGatesFile} and {@link #childBootJar} wrote, when the server
     * stops its children.
     */
    public static synchronized void deleteChildFiles() {
        deleteQuietly(wovenFile);
        wovenFile = null;
        deleteQuietly(childBootJar);
        childBootJar = null;
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // left in the children's directory, which the next server's sweep removes
            }
        }
    }

    /**
     * @param file what {@link #wovenGatesFile} returned
     * @return the JVM option that points a child at it
     */
    public static String wovenGatesOption(Path file) {
        return "-D" + WovenGates.PROPERTY + "=" + file;
    }

    /**
     * @param option a JVM option
     * @return whether it is one {@link #wovenGatesOption} makes
     */
    public static boolean isWovenGatesOption(String option) {
        return option.startsWith("-D" + WovenGates.PROPERTY + "=");
    }

    /**
     * @param file where a lazily gated child writes the gated classes it was handed and those it
     *     wove itself, with its site table, once its gates are in (a file {@link #wovenGatesOption}
     *     can then name)
     * @return the JVM option that tells it to
     */
    public static String recordWovenGatesOption(Path file) {
        return "-D" + WovenGates.RECORD_PROPERTY + "=" + file;
    }

    /**
     * The classes a host wove ({@link #prewoven}), read on a thread of their own while the
     * installation edits the modules (each a few milliseconds of a child's start). A class, not a
     * lambda: see {@code GateWiring.Retransform}.
     */
    static final class PrewovenRead implements Runnable {
        private final Thread thread = new Thread(this, "ringfence-woven-gates");
        private volatile WovenGates read;

        /** @return a read under way, or null when this JVM was pointed at no file of them */
        static PrewovenRead start() {
            String file = System.getProperty(WovenGates.PROPERTY);
            if (file == null || file.isEmpty()) {
                return null;
            }
            PrewovenRead r = new PrewovenRead();
            r.thread.setDaemon(true);
            r.thread.start();
            return r;
        }

        @Override
        public void run() {
            read = prewoven();
        }

        /** @return what was read, or null when the file was unusable (reported on stderr) */
        WovenGates get() {
            joinUninterruptibly(thread);
            return read;
        }
    }

    /**
     * Waits until a thread of the installation has ended, an interrupt meanwhile kept for later:
     * the installation does not stop half done.
     *
     * @param t the thread
     */
    public static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The classes a host wove, when this JVM was pointed at a usable file of them; else null. */
    private static WovenGates prewoven() {
        String file = System.getProperty(WovenGates.PROPERTY);
        if (file == null || file.isEmpty()) {
            return null;
        }
        try {
            return WovenGates.read(Path.of(file)); // null when written by another JDK or agent build
        } catch (IOException | RuntimeException e) {
            System.err.println("ringfence: weaving the gates here: " + e);
            return null;
        }
    }

    /**
     * Whether the JVM was started with the boot classes on its boot class path already
     * ({@code -Xbootclasspath/a:}, as the process tier starts a child that uses a start-up cache:
     * a class-data-sharing archive serves only boot classes once the boot class path was appended
     * at run time). Asks the boot loader alone, so nothing is loaded from the application class path.
     */
    private static boolean onBootClassPath() {
        try {
            Class.forName("dev.ringfence.boot.GateHook", false, null);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /**
     * Where a process-tier child whose {@code java.io.tmpdir} is its route's own ({@code tmpdir})
     * puts its boot jar instead: the system's temporary directory, so ringfence's own file stays out
     * of the route's data.
     */
    public static final String SYSTEM_TMPDIR_PROPERTY = "ringfence.systemTmpdir";
    /**
     * The system property naming the jar of boot classes a process-tier child appends to its boot
     * class path ({@link #childBootJar}); a child without it, or whose file is gone, writes its own.
     */
    public static final String BOOT_JAR_PROPERTY = "ringfence.bootJar";

    /**
     * Copies class files out of this agent's own jar (or classes directory) into a new temporary
     * jar, appends it to the boot class path, has the boot loader define each of them (not
     * initialised), then deletes the jar: the classes are in, and the JVM keeps what it opened. So
     * no file is left behind however this JVM ends (SIGKILL runs no {@code deleteOnExit}); where
     * an open file cannot be deleted, it goes when the JVM exits.
     *
     * @param inst the instrumentation service
     * @param classFiles the class files, as paths inside the agent jar
     * @throws IOException when one is missing, the jar cannot be written, or the boot loader does not find a class in it
     */
    public static void appendToBootClassPath(Instrumentation inst, List<String> classFiles) throws IOException {
        String system = System.getProperty(SYSTEM_TMPDIR_PROPERTY);
        Path jar = system == null ? Files.createTempFile("ringfence-boot-", ".jar")
                : Files.createTempFile(Path.of(system), "ringfence-boot-", ".jar");
        try {
            writeBootJar(jar, classFiles);
            try (JarFile j = new JarFile(jar.toFile())) { // the JVM opens the file itself, by its name
                inst.appendToBootstrapClassLoaderSearch(j);
            }
            for (String file : classFiles) {
                String name = file.substring(0, file.length() - ".class".length()).replace('/', '.');
                try {
                    Class.forName(name, false, null);
                } catch (ClassNotFoundException e) {
                    throw new IOException(name + " is not on the boot class path after appending " + jar, e);
                }
            }
        } finally {
            try {
                Files.deleteIfExists(jar);
            } catch (IOException e) {
                jar.toFile().deleteOnExit();
            }
        }
    }

    /**
     * Copies the boot classes out of an agent jar (a child's, which may not be this JVM's own) into
     * a new jar.
     *
     * @param agentJar the agent jar
     * @param jar the jar to write
     * @throws IOException when one is missing or a jar cannot be read or written
     */
    public static void copyBootClasses(Path agentJar, Path jar) throws IOException {
        try (JarFile in = new JarFile(agentJar.toFile())) {
            writeJar(jar, List.of(BOOT_CLASSES), name -> {
                JarEntry e = in.getJarEntry(name);
                return e == null ? null : in.getInputStream(e);
            }, agentJar.toString());
        }
    }

    /** Writes the class files out of this agent's own jar (or classes directory) into {@code jar}. */
    static Path writeBootJar(Path jar, List<String> classFiles) throws IOException {
        ClassLoader own = Gates.class.getClassLoader();
        writeJar(jar, classFiles, own::getResourceAsStream, "the agent");
        return jar;
    }

    /** Where {@link #writeJar} reads a class file: null when it is not there. */
    private interface ClassFiles {
        InputStream open(String name) throws IOException;
    }

    private static void writeJar(Path jar, List<String> classFiles, ClassFiles from, String fromName)
            throws IOException {
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
            for (String name : classFiles) {
                try (InputStream in = from.open(name)) {
                    if (in == null) {
                        throw new IOException(name + " is missing from " + fromName);
                    }
                    j.putNextEntry(new JarEntry(name));
                    in.transferTo(j);
                    j.closeEntry();
                }
            }
        }
    }
}
