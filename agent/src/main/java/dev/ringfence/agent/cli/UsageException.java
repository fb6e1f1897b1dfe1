package dev.ringfence.agent.cli;

/** Bad usage or bad input: the CLI prints the message on one line and exits 2. */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
