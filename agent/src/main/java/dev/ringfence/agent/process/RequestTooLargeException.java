package dev.ringfence.agent.process;

/**
 * A request that does not fit in one message of the child's channel. It was not sent; the
 * caller answers it as a body over the limit (HTTP 413). {@link WorkerProcess#maxRequestBytes()}
 * tells the bound ahead of time.
 */
public final class RequestTooLargeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int bytes;
    private final int maxBytes;

    RequestTooLargeException(int bytes, int maxBytes) {
        super("the request takes " + bytes + " bytes framed, more than the child channel's bound of " + maxBytes + " bytes");
        this.bytes = bytes;
        this.maxBytes = maxBytes;
    }

    /** @return the framed request's size in bytes */
    public int bytes() {
        return bytes;
    }

    /** @return the largest framed request the channel takes */
    public int maxBytes() {
        return maxBytes;
    }
}
