package dev.ringfence.agent.process;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Maps the start of a file, to read and write or to read only, into buffers that keep the mapping
 * alive.
 *
 * <p>On JDK 22 and later the mapping goes through {@code java.lang.foreign}: {@code FileChannel.map}
 * with an automatic arena, then the segment's address. The older {@code FileChannel.map} that
 * returns a {@code MappedByteBuffer} builds every buffer through a reflective constructor, whose
 * method handles the JDK spins and interprets the first time in each JVM: 26-30 ms on JDK 25.0.3
 * here, with an AOT cache or without one (an AOT cache does not keep them), against 3-4 ms for the
 * foreign mapping with one (a small program, side by side). Every process-tier child maps its
 * channel at start, so that was a tenth of a cached child's start. ringfence is compiled for Java
 * 17, so the few instructions that name {@code java.lang.foreign} are a small class file held here
 * ({@link #ASSEMBLED}, which a test checks against what {@link #assemble} makes with ASM: a child
 * runs no ASM on its way to ready, and would otherwise run it interpreted at every start); where it
 * cannot be defined the older mapping serves, and nothing else changes.
 *
 * <p>A mapping lasts while a buffer over it is reachable, as a {@code MappedByteBuffer} does: each
 * buffer made here holds the mapping (the segment or the buffer).
 */
public final class MappedFiles {
    /** The foreign mapping's entry point, implemented by the class assembled in {@link Foreign}. */
    public interface Mapper {
        /**
         * @param channel an open channel, readable (and writable for {@code READ_WRITE})
         * @param mode how
         * @param size bytes from the start of the file
         * @return the mapped segment, held to keep the mapping alive
         * @throws IOException when the channel cannot be mapped
         */
        Object map(FileChannel channel, FileChannel.MapMode mode, long size) throws IOException;

        /**
         * @param segment what {@link #map} returned
         * @return its address
         */
        long address(Object segment);
    }

    /** What {@link #assemble} returns, in Base64 (the class {@link Foreign} defines). */
    static final String ASSEMBLED = "yv66vgAAAD0AKwEANWRldi9yaW5nZmVuY2UvYWdlbnQvcHJvY2Vzcy9NYXBwZWRGaWxlcyRGb3JlaWduTWFwcGVyBwABAQAQ"
            + "amF2YS9sYW5nL09iamVjdAcAAwEALmRldi9yaW5nZmVuY2UvYWdlbnQvcHJvY2Vzcy9NYXBwZWRGaWxlcyRNYXBwZXIHAAUB"
            + "AAY8aW5pdD4BAAMoKVYMAAcACAoABAAJAQAIPGNsaW5pdD4KAAIACQEAJ2Rldi9yaW5nZmVuY2UvYWdlbnQvcHJvY2Vzcy9N"
            + "YXBwZWRGaWxlcwcADQEACHJlZ2lzdGVyAQAzKExkZXYvcmluZ2ZlbmNlL2FnZW50L3Byb2Nlc3MvTWFwcGVkRmlsZXMkTWFw"
            + "cGVyOylWDAAPABAKAA4AEQEAA21hcAEAWyhMamF2YS9uaW8vY2hhbm5lbHMvRmlsZUNoYW5uZWw7TGphdmEvbmlvL2NoYW5u"
            + "ZWxzL0ZpbGVDaGFubmVsJE1hcE1vZGU7SilMamF2YS9sYW5nL09iamVjdDsBABNqYXZhL2lvL0lPRXhjZXB0aW9uBwAVAQAX"
            + "amF2YS9sYW5nL2ZvcmVpZ24vQXJlbmEHABcBAAZvZkF1dG8BABsoKUxqYXZhL2xhbmcvZm9yZWlnbi9BcmVuYTsMABkAGgsA"
            + "GAAbAQAdamF2YS9uaW8vY2hhbm5lbHMvRmlsZUNoYW5uZWwHAB0BAGUoTGphdmEvbmlvL2NoYW5uZWxzL0ZpbGVDaGFubmVs"
            + "JE1hcE1vZGU7SkpMamF2YS9sYW5nL2ZvcmVpZ24vQXJlbmE7KUxqYXZhL2xhbmcvZm9yZWlnbi9NZW1vcnlTZWdtZW50OwwA"
            + "EwAfCgAeACABAAdhZGRyZXNzAQAVKExqYXZhL2xhbmcvT2JqZWN0OylKAQAfamF2YS9sYW5nL2ZvcmVpZ24vTWVtb3J5U2Vn"
            + "bWVudAcAJAEAAygpSgwAIgAmCwAlACcBAARDb2RlAQAKRXhjZXB0aW9ucwAwAAIABAABAAYAAAAEAAEABwAIAAEAKQAAABEA"
            + "AQABAAAABSq3AAqxAAAAAAAIAAsACAABACkAAAAXAAIAAAAAAAu7AAJZtwAMuAASsQAAAAAAAQATABQAAgApAAAAFwAHAAUA"
            + "AAALKywJIbgAHLYAIbAAAAAAACoAAAAEAAEAFgABACIAIwABACkAAAAWAAIAAgAAAAorwAAluQAoAQCtAAAAAAAA";

    /** The mapper the assembled class registered from its static initialiser. */
    private static volatile Mapper registered;

    private MappedFiles() {
    }

    /**
     * Called by the assembled class as it is initialised.
     *
     * @param mapper its instance
     */
    static void register(Mapper mapper) {
        if (registered == null) {
            registered = mapper;
        }
    }

    /**
     * Maps the first {@code size} bytes of the channel's file, readable and writable.
     *
     * @param channel an open channel, readable and writable
     * @param size how many bytes, at most {@link Integer#MAX_VALUE}
     * @return a buffer over them; the mapping lasts while it (or a {@link #slice}) is reachable
     * @throws IOException when the file cannot be mapped
     */
    static Mapped map(FileChannel channel, long size) throws IOException {
        return map(channel, FileChannel.MapMode.READ_WRITE, size);
    }

    /**
     * Maps the first {@code size} bytes of the channel's file, to be read only: a write through
     * the buffer faults.
     *
     * @param channel an open channel, readable
     * @param size how many bytes, at most {@link Integer#MAX_VALUE}
     * @return a buffer over them; the mapping lasts while it (or a {@link #slice}) is reachable
     * @throws IOException when the file cannot be mapped
     */
    public static Mapped mapToRead(FileChannel channel, long size) throws IOException {
        return map(channel, FileChannel.MapMode.READ_ONLY, size);
    }

    private static Mapped map(FileChannel channel, FileChannel.MapMode mode, long size) throws IOException {
        if (size < 0 || size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cannot map " + size + " bytes into one buffer");
        }
        Mapper foreign = Foreign.MAPPER;
        if (foreign != null) {
            Object segment = foreign.map(channel, mode, size);
            return new Mapped(foreign.address(segment), (int) size, segment);
        }
        MappedByteBuffer buffer = channel.map(mode, 0, size);
        return new Mapped(BufferUtil.address(buffer), (int) size, buffer);
    }

    /** @return whether mappings go through {@code java.lang.foreign} in this JVM */
    static boolean foreign() {
        return Foreign.MAPPER != null;
    }

    /**
     * Does now, off the caller's path, what the first mapping in this JVM costs: defining the
     * foreign mapper and initialising what it uses or, without it, the reflective constructor of
     * mapped buffers. Maps no memory and creates no file (zero bytes of {@code /dev/zero}); never
     * throws: where it cannot, the first real mapping pays.
     */
    public static void prime() {
        try (FileChannel c = FileChannel.open(Path.of("/dev/zero"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Mapper foreign = Foreign.MAPPER;
            if (foreign != null) {
                foreign.address(foreign.map(c, FileChannel.MapMode.READ_WRITE, 0));
            } else {
                c.map(FileChannel.MapMode.READ_WRITE, 0, 0);
            }
        } catch (IOException | RuntimeException e) {
            // no /dev/zero here
        }
    }

    /** A buffer over mapped memory that holds what keeps the mapping alive. */
    public static final class Mapped extends UnsafeBuffer {
        private final Object mapping;

        Mapped(long address, int length, Object mapping) {
            super(address, length);
            this.mapping = mapping;
        }

        /**
         * @param offset from this buffer's start
         * @param length bytes
         * @return a buffer over part of this one, holding the same mapping
         */
        Mapped slice(int offset, int length) {
            if (offset < 0 || length < 0 || (long) offset + length > capacity()) {
                throw new IndexOutOfBoundsException("slice " + offset + "+" + length + " of " + capacity());
            }
            return new Mapped(addressOffset() + offset, length, mapping);
        }
    }

    /**
     * <pre>
     * final class ForeignMapper implements MappedFiles.Mapper {
     *     static {
     *         MappedFiles.register(new ForeignMapper()); // no reflective constructor
     *     }
     *     public Object map(FileChannel c, FileChannel.MapMode mode, long size) throws IOException {
     *         return c.map(mode, 0L, size, Arena.ofAuto());
     *     }
     *     public long address(Object segment) {
     *         return ((MemorySegment) segment).address();
     *     }
     * }
     * </pre>
     * Run by a test, which checks that {@link #ASSEMBLED} holds what it returns: at run time,
     * loading ASM's classes and running them interpreted took 19 ms of a child here (before the
     * build made them Java 8 class files, which the start-up archives hold).
     *
     * @return the class file
     */
    static byte[] assemble() {
        String self = "dev/ringfence/agent/process/MappedFiles$ForeignMapper";
        String channel = "java/nio/channels/FileChannel";
        String mode = "java/nio/channels/FileChannel$MapMode";
        String segment = "java/lang/foreign/MemorySegment";
        String arena = "java/lang/foreign/Arena";
        String mapperName = Mapper.class.getName().replace('.', '/');
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V17, Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, self, null, "java/lang/Object",
                new String[] {mapperName});
        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        MethodVisitor clinit = cw.visitMethod(Opcodes.ACC_STATIC, "<clinit>", "()V", null, null);
        clinit.visitCode();
        clinit.visitTypeInsn(Opcodes.NEW, self);
        clinit.visitInsn(Opcodes.DUP);
        clinit.visitMethodInsn(Opcodes.INVOKESPECIAL, self, "<init>", "()V", false);
        clinit.visitMethodInsn(Opcodes.INVOKESTATIC, "dev/ringfence/agent/process/MappedFiles", "register",
                "(L" + mapperName + ";)V", false);
        clinit.visitInsn(Opcodes.RETURN);
        clinit.visitMaxs(0, 0);
        clinit.visitEnd();
        MethodVisitor map = cw.visitMethod(Opcodes.ACC_PUBLIC, "map", "(L" + channel + ";L" + mode + ";J)Ljava/lang/Object;",
                null, new String[] {"java/io/IOException"});
        map.visitCode();
        map.visitVarInsn(Opcodes.ALOAD, 1);
        map.visitVarInsn(Opcodes.ALOAD, 2);
        map.visitInsn(Opcodes.LCONST_0);
        map.visitVarInsn(Opcodes.LLOAD, 3);
        map.visitMethodInsn(Opcodes.INVOKESTATIC, arena, "ofAuto", "()L" + arena + ";", true);
        map.visitMethodInsn(Opcodes.INVOKEVIRTUAL, channel, "map", "(L" + mode + ";JJL" + arena + ";)L" + segment + ";",
                false);
        map.visitInsn(Opcodes.ARETURN);
        map.visitMaxs(0, 0);
        map.visitEnd();
        MethodVisitor address = cw.visitMethod(Opcodes.ACC_PUBLIC, "address", "(Ljava/lang/Object;)J", null, null);
        address.visitCode();
        address.visitVarInsn(Opcodes.ALOAD, 1);
        address.visitTypeInsn(Opcodes.CHECKCAST, segment);
        address.visitMethodInsn(Opcodes.INVOKEINTERFACE, segment, "address", "()J", true);
        address.visitInsn(Opcodes.LRETURN);
        address.visitMaxs(0, 0);
        address.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** The assembled mapper, made on first use: null before JDK 22, or when it could not be made. */
    private static final class Foreign {
        static final Mapper MAPPER = make();

        private static Mapper make() {
            if (Runtime.version().feature() < 22) {
                return null; // java.lang.foreign is final from JDK 22 (JEP 454)
            }
            try {
                MethodHandles.Lookup here = MethodHandles.lookup();
                here.ensureInitialized(here.defineClass(Base64.getDecoder().decode(ASSEMBLED))); // registers it
                if (registered == null) {
                    throw new IllegalStateException("the mapper did not register");
                }
                return registered;
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                System.err.println("ringfence: mapping channel files without java.lang.foreign: " + e);
                return null;
            }
        }
    }
}
