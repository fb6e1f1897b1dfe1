package dev.ringfence.agent.process;

import dev.ringfence.api.Request;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;

/**
 * The host's side of one child's channel when the child runs several requests at once
 * ({@code concurrency} above 1): many callers share the two single-producer, single-consumer
 * rings.
 *
 * <p>Assumptions and guarantees: writes to the request ring are serialised by a lock, so the ring
 * keeps one producer at a time; each request registers a {@link Slot} under its frame id before it
 * is written. Reading is elected: whichever waiting caller gets the read lock drains the response
 * ring and hands each answer to the slot of its frame id (the answer of a frame nobody waits for
 * any more, one that timed out, is dropped), so the ring keeps one consumer at a time and no
 * caller waits for a reader that is not there. A slot's answer is published through a volatile
 * field.
 */
final class ChildMux {
    private final ChannelFile channel;
    private final ReentrantLock sending = new ReentrantLock();
    private final ReentrantLock reading = new ReentrantLock();
    private final ExpandableArrayBuffer sendBuffer = new ExpandableArrayBuffer(4096);
    private final ConcurrentHashMap<Long, Slot> waiting = new ConcurrentHashMap<>();
    private final MessageHandler onResponse = this::onResponse;
    /** Sees every message first: reports, deferred-work frames, the counts answers carry. */
    private final MessageHandler tap;
    private long nextFrameId;

    /** Where one request's answer lands. */
    static final class Slot {
        final String requestId;
        volatile Frames.ResponseFrame answer;

        Slot(String requestId) {
            this.requestId = requestId;
        }
    }

    ChildMux(ChannelFile channel, MessageHandler tap) {
        this.channel = channel;
        this.tap = tap;
    }

    /**
     * Frames and writes a request.
     *
     * @param request the request
     * @param wallNanos what is left of its deadline
     * @param slot where its answer is to land
     * @return its frame id, or -1 when the ring had no room (nothing was sent)
     * @throws RequestTooLargeException when the framed request passes the ring's bound; nothing was sent
     */
    long send(Request request, long wallNanos, Slot slot) {
        sending.lock();
        try {
            long id = ++nextFrameId;
            int length = Frames.encodeRequest(sendBuffer, id, wallNanos, request);
            if (length > channel.requests().maxMsgLength()) {
                throw new RequestTooLargeException(length, channel.requests().maxMsgLength());
            }
            waiting.put(id, slot);
            if (!channel.requests().write(Frames.REQUEST, sendBuffer, 0, length)) {
                waiting.remove(id);
                return -1;
            }
            return id;
        } finally {
            sending.unlock();
        }
    }

    /**
     * Writes a {@code STOP} message.
     *
     * @return whether the ring took it
     */
    boolean sendStop() {
        sending.lock();
        try {
            return channel.requests().write(Frames.STOP, sendBuffer, 0, 0);
        } finally {
            sending.unlock();
        }
    }

    /**
     * Reads the answers that arrived, unless another caller is reading now.
     *
     * @param slot the caller's slot
     * @return its answer, or null while there is none
     */
    Frames.ResponseFrame poll(Slot slot) {
        Frames.ResponseFrame a = slot.answer;
        if (a != null) {
            return a;
        }
        if (reading.tryLock()) {
            try {
                channel.responses().read(onResponse, Integer.MAX_VALUE);
            } finally {
                reading.unlock();
            }
        }
        return slot.answer;
    }

    /**
     * Reads whatever arrived, waiting for the read lock: for a caller that saw the child die and
     * wants an answer it may have written just before.
     *
     * @param slot the caller's slot
     * @return its answer, or null
     */
    Frames.ResponseFrame drain(Slot slot) {
        reading.lock();
        try {
            channel.responses().read(onResponse, Integer.MAX_VALUE);
        } finally {
            reading.unlock();
        }
        return slot.answer;
    }

    /**
     * Reads whatever arrived, unless another caller is reading now: for the host's supervisor and
     * a stopping child's drain, so reports and deferred-work frames are read while no request waits.
     *
     * @return the messages read
     */
    int readAvailable() {
        if (!reading.tryLock()) {
            return 0;
        }
        try {
            return channel.responses().read(onResponse, Integer.MAX_VALUE);
        } finally {
            reading.unlock();
        }
    }

    /** @param frameId a frame nobody waits for any more: its late answer is dropped */
    void forget(long frameId) {
        waiting.remove(frameId);
    }

    private void onResponse(int type, MutableDirectBuffer buffer, int index, int length) {
        tap.onMessage(type, buffer, index, length);
        if (type != Frames.RESPONSE) {
            return;
        }
        Slot s = waiting.remove(buffer.getLong(index));
        if (s != null) {
            s.answer = Frames.decodeResponse(buffer, index, s.requestId);
        }
    }
}
