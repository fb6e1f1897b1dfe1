package dev.ringfence.agent.process;

import dev.ringfence.agent.gates.Gates;
import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.limiter.MeteredExecutor;
import dev.ringfence.limiter.Policy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.agrona.ExpandableArrayBuffer;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * A spare child's warm-up: opens a tiny built-in echo handler exactly as a {@code LOAD} message's
 * version is opened (a jar written for it, its {@code worker} arguments parsed by the same code, a
 * policy file written as the host writes one, a class loader of its own, a class shaped like
 * javac's instrumented like any handler's) and serves it with the real serving loop
 * ({@link WorkerLoop}) over a channel file of its own, whose host side this thread plays:
 * {@value #ROUNDS} requests written to the request ring and their answers read off the response
 * ring, then a {@code STOP}, and the version is dropped; {@value #OPENS} times, with a jar of other
 * content each time (a version of its own). Then it collects the garbage, runs one more round
 * (see {@link #run}) and waits for the JIT to go quiet ({@link #awaitQuietJit}). The classes, the
 * lambdas, the memory reporter and the JIT's profile of what follows a {@code LOAD} are then warm.
 *
 * <p>Measured (BENCHMARKS.md 7.3): the first request to a route at zero took 36-41 ms at p50 when
 * the warm-up called the route directly on 5 versions (no serving loop, no channel, a class
 * without debug attributes: what a {@code LOAD} touched first was loaded, linked and interpreted
 * then), and 5-7 ms with this one (with the host's changes of the same day, JDK 17 and 25).
 */
final class WarmUp {
    /**
     * Versions the warm-up opens, one after the other. Measured (BENCHMARKS.md 7.3), JDK 25: the
     * first request at zero took 12-13 ms at p50 after 10, 6-7 ms after 25 and 6-7 ms after 40
     * (its JIT compiles the open path later than JDK 17's); the spare is warm about 1.4 s, 1.7 s and
     * 2.1 s after its start, having used 2.5, 2.8 and 3.4 s of CPU.
     */
    static final int OPENS = 25;
    /** Requests it runs on each. */
    static final int ROUNDS = 100;
    /** The longest the spare waits for its JIT to go quiet after the warm-up. */
    static final long SETTLE_MAX_MILLIS = 3_000;
    /** How far apart it looks at the JIT's compilation time. */
    static final long SETTLE_LOOK_MILLIS = 30;
    private static final String CLASS = "ringfence/warmup/Echo";
    /** The warm-up handler's binary name. */
    static final String CLASS_NAME = CLASS.replace('/', '.');
    /** The warm-up channel's rings: room for a request of the warm-up's size, and small to map. */
    private static final int RING_CAPACITY = 1 << 16;

    private WarmUp() {
    }

    /**
     * Runs the warm-up.
     *
     * @param executor the child's sandbox executor (the one its real version will run on)
     * @param load opens a version from its {@code worker} arguments, as a {@code LOAD} message's
     * @param dir the directory its files go in, made now and deleted at the end ({@link #dirOf}:
     *     the host deletes it when it finds the spare dead, so a spare killed meanwhile leaves nothing)
     * @throws IllegalStateException when the warm-up could not run or its requests did not end {@code OK}
     */
    static void run(MeteredExecutor executor, Function<List<String>, SpareLoop.Load> load, Path dir) {
        run(executor, load, OPENS, true, dir);
    }

    /**
     * @param channelFile a spare's channel file
     * @return the directory of its warm-up's files: beside the channel file, in the host's directory of its children
     */
    static Path dirOf(Path channelFile) {
        return channelFile.resolveSibling(channelFile.getFileName() + ".warm-up");
    }

    /**
     * The same rounds on fewer versions, without the collection and the wait for the JIT: what the
     * JVM that records a start-up cache's AOT cache runs ({@link StartupTrainer}), so that the
     * cache holds the serving path's classes linked, its lambdas and method handles resolved and
     * its profiles, as a child's first versions and requests use them.
     *
     * @param executor an executor of the sandbox
     * @param load opens a version from its {@code worker} arguments
     * @param opens how many versions
     * @param dir the directory its files go in, as {@link #run}'s
     * @throws IllegalStateException when the rounds could not run or did not end {@code OK}
     */
    static void rehearse(MeteredExecutor executor, Function<List<String>, SpareLoop.Load> load, int opens,
            Path dir) {
        // what a child readies beside its first version (see WorkerLoop.serve); this JVM has no
        // gates, so its requests never walk a stack for them
        executor.prepareHandOff();
        Gates.primeCallerChecks();
        run(executor, load, opens, false, dir);
    }

    private static void run(MeteredExecutor executor, Function<List<String>, SpareLoop.Load> load, int opens,
            boolean settle, Path dir) {
        try {
            Files.createDirectories(dir);
            Path policy = dir.resolve("policy.properties");
            Files.write(policy, Policy.DENY_ALL.toPropertiesFile("the warm-up's")); // as the host writes a route's
            for (int k = 0; k < opens; k++) { // a version of its own each time: the open path is warmed too
                openAndRun(executor, load, dir, policy, k);
            }
            if (settle) {
                // the warm-up versions' loaders go now, not in a collection just when a LOAD arrives ...
                System.gc();
                // ... and since a full collection arms the entry barrier of every compiled method (JDK 21
                // and later), one more round passes them, so that the LOAD's path does not
                openAndRun(executor, load, dir, policy, opens);
                awaitQuietJit();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the warm-up could not write its handler", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the warm-up", e);
        } finally {
            WorkersDirectories.deleteTree(dir);
        }
    }

    /**
     * Waits, bounded by {@value #SETTLE_MAX_MILLIS} ms, until the JIT has compiled nothing for two
     * looks {@value #SETTLE_LOOK_MILLIS} ms apart: its compiler threads would otherwise take the
     * cores from the first request.
     */
    private static void awaitQuietJit() throws InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_MAX_MILLIS);
        long last = jit.getTotalCompilationTime();
        int quiet = 0;
        while (quiet < 2 && System.nanoTime() - until < 0) {
            Thread.sleep(SETTLE_LOOK_MILLIS);
            long now = jit.getTotalCompilationTime();
            quiet = now == last ? quiet + 1 : 0;
            last = now;
        }
    }

    private static void openAndRun(MeteredExecutor executor, Function<List<String>, SpareLoop.Load> load, Path dir,
            Path policy, int k) throws IOException, InterruptedException {
        Path jar = dir.resolve("warm-up-" + k + ".jar");
        try (JarOutputStream j = new JarOutputStream(Files.newOutputStream(jar))) {
            j.putNextEntry(new JarEntry(CLASS + ".class"));
            j.write(echoClass());
            j.closeEntry();
            j.putNextEntry(new JarEntry("warm-up.txt"));
            j.write(Integer.toString(k).getBytes(StandardCharsets.UTF_8));
            j.closeEntry();
        }
        SpareLoop.Load l = load.apply(new ArrayList<>(List.of("--handler", jar.toString(), "--class",
                CLASS_NAME, "--alloc", Long.toString(1L << 30), "--policy", policy.toString(),
                "--no-cache")));
        ChannelFile channel = ChannelFile.create(dir.resolve("warm-up-" + k + ".channel"), RING_CAPACITY);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread serving = new Thread(() -> {
            try {
                WorkerLoop.serveForWarmUp(channel, l.budgets(), executor, l.open(), System.err);
            } catch (RuntimeException | Error e) {
                failed.set(e);
            }
        }, "ringfence-warmup-" + k);
        serving.setDaemon(true);
        serving.start();
        try {
            awaitReady(channel, serving);
            rounds(channel);
        } finally {
            channel.requests().write(Frames.STOP, new ExpandableArrayBuffer(16), 0, 0);
            serving.join(TimeUnit.SECONDS.toMillis(10));
            channel.deleteFile();
        }
        if (failed.get() != null) {
            throw new IllegalStateException("the warm-up's loop failed: " + failed.get(), failed.get());
        }
        if (serving.isAlive()) {
            throw new IllegalStateException("the warm-up's loop did not stop");
        }
    }

    private static void awaitReady(ChannelFile channel, Thread serving) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (channel.state() == ChannelFile.STATE_STARTING) {
            if (!serving.isAlive() || System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the warm-up's version did not open");
            }
            Thread.onSpinWait();
        }
        if (channel.state() != ChannelFile.STATE_READY) {
            throw new IllegalStateException("the warm-up's version did not open: " + channel.stateText());
        }
    }

    /**
     * {@value #ROUNDS} requests through the channel, as the host sends them: each written to the
     * request ring and its answer read off the response ring (memory reports skipped).
     */
    private static void rounds(ChannelFile channel) {
        ExpandableArrayBuffer out = new ExpandableArrayBuffer(4096);
        byte[] body = new byte[1024];
        Frames.ResponseFrame[] got = new Frames.ResponseFrame[1];
        for (int i = 0; i < ROUNDS; i++) {
            Request r = Request.builder("warm-up-" + i).method("POST").path("/warm-up").header("x-round", "" + i)
                    .query("q", "" + i).body(body).build();
            int length = Frames.encodeRequest(out, i, TimeUnit.SECONDS.toNanos(5), r);
            if (!channel.requests().write(Frames.REQUEST, out, 0, length)) {
                throw new IllegalStateException("the warm-up's request ring was full");
            }
            got[0] = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (got[0] == null) {
                int n = channel.responses().read((type, buffer, index, len) -> {
                    if (type == Frames.RESPONSE) {
                        got[0] = Frames.decodeResponse(buffer, index, r.requestId());
                    }
                }, 1);
                if (n == 0) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new IllegalStateException("a warm-up request got no answer within 10 s");
                    }
                    Thread.onSpinWait();
                }
            }
            InvocationResult result = got[0].result();
            if (result.outcome() != Outcome.OK || got[0].frameId() != i) {
                throw new IllegalStateException("a warm-up request ended " + result.outcome() + ": " + result.message());
            }
        }
    }

    /**
     * {@code public final class ringfence.warmup.Echo implements Handler}: answers 200 with the
     * request's body after a loop over it. Shaped like javac's output (source file, line numbers,
     * local variable table, stack map frames, a try/catch), so that the instrumenter's and the
     * verifier's paths that a real handler's classes take are the ones warmed.
     */
    static byte[] echoClass() {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS | ClassWriter.COMPUTE_FRAMES);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, CLASS, null,
                "java/lang/Object", new String[] {"dev/ringfence/api/Handler"});
        cw.visitSource("Echo.java", null);
        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        Label initStart = new Label();
        init.visitLabel(initStart);
        init.visitLineNumber(1, initStart);
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitInsn(Opcodes.RETURN);
        Label initEnd = new Label();
        init.visitLabel(initEnd);
        init.visitLocalVariable("this", "L" + CLASS + ";", null, initStart, initEnd, 0);
        init.visitMaxs(0, 0);
        init.visitEnd();
        String request = "Ldev/ringfence/api/Request;";
        MethodVisitor m = cw.visitMethod(Opcodes.ACC_PUBLIC, "handle",
                "(" + request + "Ldev/ringfence/api/Context;)Ldev/ringfence/api/Response;", null, null);
        m.visitCode();
        Label start = new Label();
        Label tryStart = new Label();
        Label tryEnd = new Label();
        Label handler = new Label();
        Label loop = new Label();
        Label loopEnd = new Label();
        Label end = new Label();
        m.visitTryCatchBlock(tryStart, tryEnd, handler, "java/lang/RuntimeException");
        m.visitLabel(start);
        m.visitLineNumber(2, start);
        m.visitVarInsn(Opcodes.ALOAD, 1); // byte[] body = request.body();
        m.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "dev/ringfence/api/Request", "body", "()[B", false);
        m.visitVarInsn(Opcodes.ASTORE, 3);
        m.visitInsn(Opcodes.ICONST_0); // int sum = 0;
        m.visitVarInsn(Opcodes.ISTORE, 4);
        m.visitInsn(Opcodes.ICONST_0); // for (int i = 0; i < body.length; i++) sum += body[i];
        m.visitVarInsn(Opcodes.ISTORE, 5);
        m.visitLabel(loop);
        m.visitVarInsn(Opcodes.ILOAD, 5);
        m.visitVarInsn(Opcodes.ALOAD, 3);
        m.visitInsn(Opcodes.ARRAYLENGTH);
        m.visitJumpInsn(Opcodes.IF_ICMPGE, loopEnd);
        m.visitVarInsn(Opcodes.ILOAD, 4);
        m.visitVarInsn(Opcodes.ALOAD, 3);
        m.visitVarInsn(Opcodes.ILOAD, 5);
        m.visitInsn(Opcodes.BALOAD);
        m.visitInsn(Opcodes.IADD);
        m.visitVarInsn(Opcodes.ISTORE, 4);
        m.visitIincInsn(5, 1);
        m.visitJumpInsn(Opcodes.GOTO, loop);
        m.visitLabel(loopEnd);
        m.visitLabel(tryStart); // try { return Response.bytes(200, body.clone(), type); }
        m.visitLineNumber(3, tryStart);
        m.visitIntInsn(Opcodes.SIPUSH, 200);
        m.visitVarInsn(Opcodes.ALOAD, 3);
        m.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "[B", "clone", "()Ljava/lang/Object;", false);
        m.visitTypeInsn(Opcodes.CHECKCAST, "[B");
        m.visitLdcInsn("application/octet-stream");
        m.visitMethodInsn(Opcodes.INVOKESTATIC, "dev/ringfence/api/Response", "bytes",
                "(I[BLjava/lang/String;)Ldev/ringfence/api/Response;", false);
        m.visitLabel(tryEnd);
        m.visitInsn(Opcodes.ARETURN);
        m.visitLabel(handler); // catch (RuntimeException e) { throw e; }
        m.visitLineNumber(4, handler);
        m.visitVarInsn(Opcodes.ASTORE, 5);
        m.visitVarInsn(Opcodes.ALOAD, 5);
        m.visitInsn(Opcodes.ATHROW);
        m.visitLabel(end);
        m.visitLocalVariable("this", "L" + CLASS + ";", null, start, end, 0);
        m.visitLocalVariable("request", request, null, start, end, 1);
        m.visitLocalVariable("context", "Ldev/ringfence/api/Context;", null, start, end, 2);
        m.visitLocalVariable("body", "[B", null, start, handler, 3);
        m.visitLocalVariable("sum", "I", null, start, handler, 4);
        m.visitLocalVariable("i", "I", null, loop, loopEnd, 5);
        m.visitMaxs(0, 0);
        m.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }
}
