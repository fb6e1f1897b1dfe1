package dev.ringfence.agent.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * The file one host and one child share, mapped by both: a header page, then the request ring
 * (host to child), then the response ring (child to host), each an Agrona
 * {@link OneToOneRingBuffer}.
 *
 * <pre>
 *   0     int   magic 'RFPC'          written by the host before the child starts
 *   4     int   layout version (1)
 *   8     int   request ring capacity  (a power of two)
 *   12    int   response ring capacity (a power of two)
 *   64    int   child state: 0 starting, 1 ready, 2 failed, 3 spare (warm, no handler yet)
 *                                                written by the child (volatile)
 *   68    int   sleeping: 1 while the child waits for a wake-up byte on its stdin   (child, volatile)
 *   72    long  child pid
 *   128   str   the child's version id (ready) or why it failed (failed): int length + UTF-8
 *   4096  request ring  (capacity + trailer)
 *   ...   response ring (capacity + trailer)
 * </pre>
 *
 * <p>Assumptions and guarantees: each ring has one producer and one consumer at a time. The host
 * sends one request at a time per child, so its sender and its reader are whichever caller holds
 * the child's turn (see {@link WorkerProcess}); the child reads on its serving thread and writes
 * under a lock (its watchdog may answer for a stuck serving thread). The state word is written
 * with a volatile store after the text it announces, so a reader that sees it sees the text.
 */
final class ChannelFile {
    static final int MAGIC = 0x52465043;
    static final int LAYOUT_VERSION = 1;
    static final int HEADER_BYTES = 4096;
    static final int STATE_STARTING = 0;
    static final int STATE_READY = 1;
    static final int STATE_FAILED = 2;
    /** A generic spare: warmed, holding no handler, waiting for a {@code LOAD} message ({@link SpareChild}). */
    static final int STATE_SPARE = 3;

    private static final int MAGIC_OFFSET = 0;
    private static final int LAYOUT_OFFSET = 4;
    private static final int REQUEST_CAPACITY_OFFSET = 8;
    private static final int RESPONSE_CAPACITY_OFFSET = 12;
    private static final int STATE_OFFSET = 64;
    private static final int SLEEPING_OFFSET = 68;
    private static final int PID_OFFSET = 72;
    private static final int TEXT_OFFSET = 128;
    private static final int TEXT_MAX_BYTES = HEADER_BYTES - TEXT_OFFSET - 4;

    private final Path file;
    private final UnsafeBuffer header;
    private final OneToOneRingBuffer requests;
    private final OneToOneRingBuffer responses;

    private ChannelFile(Path file, MappedFiles.Mapped mapped, int requestCapacity, int responseCapacity) {
        this.file = file;
        int requestBytes = requestCapacity + RingBufferDescriptor.TRAILER_LENGTH;
        int responseBytes = responseCapacity + RingBufferDescriptor.TRAILER_LENGTH;
        // each buffer holds the mapping (MappedFiles): it lasts while any of them is reachable
        this.header = mapped.slice(0, HEADER_BYTES);
        this.requests = new OneToOneRingBuffer(mapped.slice(HEADER_BYTES, requestBytes));
        this.responses = new OneToOneRingBuffer(mapped.slice(HEADER_BYTES + requestBytes, responseBytes));
    }

    /**
     * Creates and maps a new channel file (the host's side); it must not exist yet.
     *
     * @param file where
     * @param ringCapacity each ring's capacity in bytes: a power of two, at least 1 KiB; a message
     *     may take an eighth of it
     * @return the channel
     */
    static ChannelFile create(Path file, int ringCapacity) {
        if (ringCapacity < 1024 || Integer.bitCount(ringCapacity) != 1 || ringCapacity > (1 << 28)) {
            throw new IllegalArgumentException("ring capacity must be a power of two between 1 KiB and 256 MiB: "
                    + ringCapacity);
        }
        long length = length(ringCapacity, ringCapacity);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ch.truncate(length); // a sparse file of zeros: both rings start empty
            ChannelFile c = new ChannelFile(file, MappedFiles.map(ch, length), ringCapacity, ringCapacity);
            c.header.putInt(LAYOUT_OFFSET, LAYOUT_VERSION);
            c.header.putInt(REQUEST_CAPACITY_OFFSET, ringCapacity);
            c.header.putInt(RESPONSE_CAPACITY_OFFSET, ringCapacity);
            c.header.putIntVolatile(MAGIC_OFFSET, MAGIC);
            return c;
        } catch (FileAlreadyExistsException e) {
            throw new UncheckedIOException("cannot create the channel file " + file + ": it exists", e);
        } catch (IOException e) {
            // CREATE_NEW: the file is this call's. An interrupt (a worker closed while it launched a
            // child) ends truncate or map with the file created: it goes with the failure.
            try {
                Files.deleteIfExists(file);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException("cannot create the channel file " + file, e);
        }
    }

    /**
     * Maps an existing channel file (the child's side).
     *
     * @param file the file the host created
     * @return the channel
     * @throws IllegalArgumentException when the file is not a channel file of this layout
     */
    static ChannelFile open(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            if (size < HEADER_BYTES) {
                throw new IllegalArgumentException("not a ringfence channel file (too short): " + file);
            }
            ByteBuffer first = ByteBuffer.allocate(RESPONSE_CAPACITY_OFFSET + 4); // read, not mapped: one mapping
            while (first.hasRemaining()) {
                if (ch.read(first, first.position()) <= 0) {
                    break; // at the file's end, which the size check rules out: the checks below refuse it
                }
            }
            UnsafeBuffer h = new UnsafeBuffer(first.array());
            if (h.getIntVolatile(MAGIC_OFFSET) != MAGIC || h.getInt(LAYOUT_OFFSET) != LAYOUT_VERSION) {
                throw new IllegalArgumentException("not a ringfence channel file of layout " + LAYOUT_VERSION + ": " + file);
            }
            int requestCapacity = h.getInt(REQUEST_CAPACITY_OFFSET);
            int responseCapacity = h.getInt(RESPONSE_CAPACITY_OFFSET);
            if (size != length(requestCapacity, responseCapacity)) {
                throw new IllegalArgumentException("channel file " + file + " has " + size + " bytes, its header says "
                        + length(requestCapacity, responseCapacity));
            }
            return new ChannelFile(file, MappedFiles.map(ch, size), requestCapacity, responseCapacity);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map the channel file " + file, e);
        }
    }

    private static long length(int requestCapacity, int responseCapacity) {
        return (long) HEADER_BYTES + requestCapacity + responseCapacity + 2L * RingBufferDescriptor.TRAILER_LENGTH;
    }

    /** @return the file (it may be deleted once both sides have mapped it) */
    Path file() {
        return file;
    }

    /** @return host to child */
    OneToOneRingBuffer requests() {
        return requests;
    }

    /** @return child to host */
    OneToOneRingBuffer responses() {
        return responses;
    }

    /** @return the largest message either ring takes, in bytes */
    int maxMessageBytes() {
        return Math.min(requests.maxMsgLength(), responses.maxMsgLength());
    }

    /** @return {@link #STATE_STARTING}, {@link #STATE_READY}, {@link #STATE_FAILED} or {@link #STATE_SPARE} */
    int state() {
        return header.getIntVolatile(STATE_OFFSET);
    }

    /** @return the text the child announced with its state: its version id, or why it failed */
    String stateText() {
        return header.getStringUtf8(TEXT_OFFSET);
    }

    /**
     * The child's announcement that it is about to block on its stdin until woken (or that it no
     * longer is). A volatile store: a full fence before the child looks at the ring once more.
     *
     * @param sleeping whether it sleeps
     */
    void sleeping(boolean sleeping) {
        header.putIntVolatile(SLEEPING_OFFSET, sleeping ? 1 : 0);
    }

    /** @return whether the child sleeps and needs a wake-up byte for a request it has not seen */
    boolean childSleeping() {
        return header.getIntVolatile(SLEEPING_OFFSET) == 1;
    }

    /** @return the pid the child wrote, 0 before it did */
    long childPid() {
        return header.getLongVolatile(PID_OFFSET);
    }

    /**
     * The child's announcement that it serves.
     *
     * @param versionId the short id of the handler version it loaded
     */
    void markReady(String versionId) {
        announce(STATE_READY, versionId);
    }

    /** The spare's announcement that it is warm and waits for the version it is to load. */
    void markSpare() {
        announce(STATE_SPARE, "spare");
    }

    /**
     * The child's announcement that it could not start.
     *
     * @param why the reason, cut to what the header holds
     */
    void markFailed(String why) {
        announce(STATE_FAILED, why);
    }

    private void announce(int state, String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(utf8.length, TEXT_MAX_BYTES);
        header.putInt(TEXT_OFFSET, n);
        header.putBytes(TEXT_OFFSET + 4, utf8, 0, n);
        header.putLong(PID_OFFSET, ProcessHandle.current().pid());
        header.putIntVolatile(STATE_OFFSET, state);
    }

    /** Deletes the file; the mappings stay valid until they are collected. */
    void deleteFile() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // the work directory is removed with the host's last child; nothing depends on it
        }
    }
}
