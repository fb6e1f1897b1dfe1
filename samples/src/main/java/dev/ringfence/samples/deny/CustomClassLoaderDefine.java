package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;

/**
 * Defines a class from bytes with its own {@link ClassLoader} subclass: code the sandbox never
 * instrumented, so it would run unmetered and unchecked. The bytes are a minimal class
 * {@code Escaped} built here, so the handler needs nothing else.
 *
 * <p>Outcome: {@code DENIED} under the default policy (creating the loader is denied). Answers
 * {@code OK} with the body {@code escaped} only if the gate did not hold.
 */
public class CustomClassLoaderDefine implements Handler {
    /** Creates the handler. */
    public CustomClassLoaderDefine() {
    }

    /** A loader that defines whatever it is given. */
    private static final class BytesLoader extends ClassLoader {
        BytesLoader() {
            super(null);
        }

        Class<?> define(byte[] classFile) {
            return defineClass("Escaped", classFile, 0, classFile.length);
        }
    }

    @Override
    public Response handle(Request request, Context context) {
        Class<?> escaped = new BytesLoader().define(minimalClass());
        return Response.ok("escaped " + escaped.getName());
    }

    /** @return the class file of {@code public class Escaped extends Object}, with no members */
    static byte[] minimalClass() {
        String self = "Escaped";
        String object = "java/lang/Object";
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
        try {
            out.writeInt(0xCAFEBABE);
            out.writeShort(0); // minor version
            out.writeShort(52); // Java 8 class file: no stack maps needed, none used
            out.writeShort(5); // constant pool count
            out.writeByte(7); // #1 Class #2
            out.writeShort(2);
            out.writeByte(1); // #2 Utf8
            out.writeUTF(self);
            out.writeByte(7); // #3 Class #4
            out.writeShort(4);
            out.writeByte(1); // #4 Utf8
            out.writeUTF(object);
            out.writeShort(0x0021); // public super
            out.writeShort(1); // this class
            out.writeShort(3); // super class
            out.writeShort(0); // interfaces
            out.writeShort(0); // fields
            out.writeShort(0); // methods
            out.writeShort(0); // attributes
            out.flush();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }
}
