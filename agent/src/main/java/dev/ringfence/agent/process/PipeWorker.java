package dev.ringfence.agent.process;

import dev.ringfence.agent.pipeline.InvocationResult;
import dev.ringfence.api.Request;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The same child as {@link WorkerProcess}, reached over its stdin and stdout pipes instead of the
 * mapped rings: the baseline the ring channel is measured against. It blocks in pipe reads, so it
 * honours no deadline and restarts nothing; it is for measuring, not serving.
 *
 * <p>Not thread-safe: one caller at a time.
 */
public final class PipeWorker implements AutoCloseable {
    private final Process process;
    private final DataOutputStream toChild;
    private final DataInputStream fromChild;
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(4096);
    private final String version;
    private long nextFrameId;

    /**
     * Starts the child and waits until it serves.
     *
     * @param spec what it runs (its ring capacity is not used)
     * @throws IOException when it cannot start or could not open the handler
     */
    public PipeWorker(WorkerSpec spec) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        process = new ProcessBuilder(spec.pipeCommand(java)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        toChild = new DataOutputStream(new BufferedOutputStream(process.getOutputStream(), 1 << 16));
        fromChild = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16));
        int type = fromChild.readInt();
        byte[] text = new byte[fromChild.readInt()];
        fromChild.readFully(text);
        if (type != Frames.READY) {
            process.destroyForcibly();
            throw new IOException("the worker could not start: " + new String(text, StandardCharsets.UTF_8));
        }
        version = new String(text, StandardCharsets.UTF_8);
    }

    /** @return the child's pid */
    public long pid() {
        return process.pid();
    }

    /** @return the handler version the child loaded */
    public String version() {
        return version;
    }

    /**
     * Runs one request in the child and blocks until it answers.
     *
     * @param request the request
     * @param wallNanos the wall budget the child runs it under
     * @return how it ended
     */
    public InvocationResult invoke(Request request, long wallNanos) {
        long frameId = ++nextFrameId;
        int length = Frames.encodeRequest(buffer, frameId, wallNanos, request);
        try {
            toChild.writeInt(Frames.REQUEST);
            toChild.writeInt(length);
            toChild.write(buffer.byteArray(), 0, length);
            toChild.flush();
            while (true) {
                int type = fromChild.readInt();
                byte[] payload = new byte[fromChild.readInt()];
                fromChild.readFully(payload);
                UnsafeBuffer in = new UnsafeBuffer(payload);
                if (type == Frames.RESPONSE && in.getLong(0) == frameId) {
                    return Frames.decodeResponse(in, 0, request.requestId()).result();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the worker's pipes broke", e);
        }
    }

    /** Stops the child (a {@code STOP} message, then a kill after a second). */
    @Override
    public void close() {
        try {
            toChild.writeInt(Frames.STOP);
            toChild.writeInt(0);
            toChild.flush();
            if (!process.waitFor(1, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
