package dev.ringfence.agent.process;

import dev.ringfence.agent.pipeline.ChildRoute;
import dev.ringfence.agent.pipeline.InProcessRoute;
import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.api.Budgets;
import dev.ringfence.api.Outcome;
import dev.ringfence.api.Request;
import dev.ringfence.limiter.HandedOffException;
import dev.ringfence.limiter.MeteredExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.agrona.ExpandableArrayBuffer;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * A spare child's warm-up: opens a tiny built-in echo handler exactly as a {@code LOAD} message's
 * version is opened (a jar written for it, its {@code worker} arguments parsed by the same code, a
 * class loader of its own, instrumented like any handler, the policy file read), runs
 * {@value #ROUNDS} requests through the same path a served request takes (the request frame
 * encoded and decoded, {@link InProcessRoute#attempt} on a host thread of the executor, the
 * response frame encoded and decoded), then drops the version; {@value #OPENS} times, with a jar of
 * other content each time (a version of its own). The classes, and the JIT's profile, of what
 * follows a {@code LOAD} are then warm.
 */
final class WarmUp {
    /** Versions the warm-up opens, one after the other. */
    static final int OPENS = 5;
    /** Requests it runs on each. */
    static final int ROUNDS = 100;
    private static final String CLASS = "ringfence/warmup/Echo";

    private WarmUp() {
    }

    /**
     * Runs the warm-up.
     *
     * @param executor the child's sandbox executor (the one its real version will run on)
     * @param load opens a version from its {@code worker} arguments, as a {@code LOAD} message's
     * @throws IllegalStateException when the warm-up could not run or its requests did not end {@code OK}
     */
    static void run(MeteredExecutor executor, Function<List<String>, SpareLoop.Load> load) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("ringfence-warmup-");
            Path policy = Files.writeString(dir.resolve("policy.properties"), "# the warm-up's: deny all\n");
            for (int k = 0; k < OPENS; k++) { // a version of its own each time: the open path is warmed too
                openAndRun(executor, load, dir, policy, k);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the warm-up could not write its handler", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the warm-up", e);
        } finally {
            deleteTree(dir);
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
                CLASS.replace('/', '.'), "--alloc", Long.toString(1L << 30), "--policy", policy.toString(),
                "--no-cache")));
        ChildRoute child = l.open().get();
        InProcessRoute route = child.handler();
        Budgets budgets = new Budgets(TimeUnit.SECONDS.toNanos(5), l.budgets().cpuNanos(), l.budgets().fuel(),
                l.budgets().allocBytes());
        AtomicReference<RuntimeException> failed = new AtomicReference<>();
        Thread t = executor.hostThreads("ringfence-warmup-").newThread(() -> {
            try {
                rounds(route, budgets);
            } catch (RuntimeException e) {
                failed.set(e);
            }
        });
        t.start();
        t.join();
        child.close();
        if (failed.get() != null) {
            throw failed.get();
        }
    }

    private static void rounds(InProcessRoute route, Budgets budgets) {
        ExpandableArrayBuffer in = new ExpandableArrayBuffer(4096);
        ExpandableArrayBuffer out = new ExpandableArrayBuffer(4096);
        byte[] body = new byte[1024];
        for (int i = 0; i < ROUNDS; i++) {
            Request r = Request.builder("warm-up-" + i).method("POST").path("/warm-up").header("x-round", "" + i)
                    .query("q", "" + i).body(body).build();
            int length = Frames.encodeRequest(in, i, budgets.wallNanos(), r);
            Frames.RequestFrame f = Frames.decodeRequest(in, 0);
            InvocationResult result;
            try {
                result = route.attempt(f.request(), budgets, null, given -> { }, lost -> { });
            } catch (HandedOffException e) {
                throw new IllegalStateException("a warm-up request was handed off", e);
            }
            if (result.outcome() != Outcome.OK || length <= 0) {
                throw new IllegalStateException("a warm-up request ended " + result.outcome() + ": "
                        + result.message());
            }
            Frames.encodeResponse(out, f.frameId(), 0, result);
            Frames.decodeResponse(out, 0, r.requestId());
        }
    }

    /** {@code public final class ringfence.warmup.Echo implements Handler}: answers 200 with the request's body. */
    static byte[] echoClass() {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, CLASS, null,
                "java/lang/Object", new String[] {"dev/ringfence/api/Handler"});
        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        MethodVisitor handle = cw.visitMethod(Opcodes.ACC_PUBLIC, "handle",
                "(Ldev/ringfence/api/Request;Ldev/ringfence/api/Context;)Ldev/ringfence/api/Response;", null, null);
        handle.visitCode();
        handle.visitIntInsn(Opcodes.SIPUSH, 200);
        handle.visitVarInsn(Opcodes.ALOAD, 1);
        handle.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "dev/ringfence/api/Request", "body", "()[B", false);
        handle.visitLdcInsn("application/octet-stream");
        handle.visitMethodInsn(Opcodes.INVOKESTATIC, "dev/ringfence/api/Response", "bytes",
                "(I[BLjava/lang/String;)Ldev/ringfence/api/Response;", false);
        handle.visitInsn(Opcodes.ARETURN);
        handle.visitMaxs(0, 0);
        handle.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a few bytes left in the temporary directory
        }
    }
}
