package dev.ringfence.agent.gates;

/**
 * The rule a gate applies, and what the values its site passes ({@code a}, {@code b}, {@code n})
 * mean. Every rule lets everything through on host threads and while the sandbox's own code runs
 * privileged; the descriptions say when a handler's call is denied.
 */
enum GateKind {
    /** Always denied. */
    DENY,
    /** Denied unless the policy allows threads; {@code a} is the thread or pool (the virtual-thread scheduler is let through). */
    THREADS,
    /** {@code a} is a thread: denied when it is alive, not the current thread, and not one the handler started (its context loader is not the handler's). */
    OTHER_THREAD,
    /** {@code a} is a thread: denied when it is alive (the current thread included). */
    LIVE_THREAD,
    /** {@code a} is the class asking for a native library or native access ({@code b}: the restricted method, when known): denied unless the policy allows native code or {@code a} is a JDK class. */
    NATIVE,
    /** {@code a} is the caller, {@code b} the declaring class: denied when handler code asks for a member of a class that is not its own. */
    ACCESSIBLE,
    /** {@code a} is the target class: denied unless it is a handler class. */
    PRIVATE_LOOKUP,
    /** {@code a} is the new loader: denied unless it is a sandbox loader or a JDK-internal loader (not a {@code SecureClassLoader}). */
    LOADER_NEW,
    /** {@code a} is the defining loader: denied unless it is a sandbox loader or the JDK's own. */
    LOADER_DEFINE,
    /** {@code a} is the lookup, {@code b} the class it resolves in: denied when the class is ringfence's or the host's and the lookup is not that class loader's own. */
    LOOKUP_HOST,
    /** {@code a} is a class: core reflection on ringfence's or the host's classes, denied when handler code asked for it. */
    REFLECT_HOST,
    /** {@code a} is a class: resources of a class not the handler's or the JDK's, denied when handler code asked for them. */
    RESOURCE_HOST,
    /** {@code a} is a class, module or protection domain (its loader) or a loader (its parent): denied to handler code when that loader is the host's. */
    CLASS_LOADER,
    /** Denied when the immediate caller (reflection and method-handle frames skipped) is handler code. */
    CALLER,
    /** {@code a} is a variable name, or null for the whole environment: denied unless the name is on the policy's list. */
    ENV,
    /**
     * {@code a} is a system property name: denied when it tells where and how the host runs
     * (its command line, class path, home and working directories) and the handler asked itself.
     */
    HOST_PROPERTY,
    /** {@code a} (and {@code b} when set) is a file read. */
    FILE_READ,
    /** {@code a} (and {@code b} when set) is a file created, changed or deleted. */
    FILE_WRITE,
    /** {@code a} is a file opened with the options {@code b}: a write when they include WRITE, APPEND or DELETE_ON_CLOSE. */
    FILE_OPEN,
    /** {@code a} is a file opened with the {@code RandomAccessFile} mode {@code b}. */
    FILE_RAF,
    /** {@code a} is read, {@code b} is written. */
    FILE_COPY,
    /** {@code a} is a directory for a temporary file, or null for {@code java.io.tmpdir}. */
    FILE_TEMP,
    /** A new socket: denied unless the policy allows some host. */
    SOCKET,
    /** {@code a} is an address, {@code n} a port: denied unless the policy allows the host and port. */
    CONNECT,
    /** {@code a} is a local address, {@code n} a port: denied unless some host is allowed and the port is ephemeral (0). */
    BIND,
    /** {@code a} is a datagram's target {@code SocketAddress}. */
    SEND,
    /** {@code a} is a host name to resolve: denied unless the policy allows the host (literals pass). */
    RESOLVE,
    /** {@code a} is an address to look up in reverse: denied unless the policy allows it. */
    REVERSE,
    /**
     * {@code n} is a number of bytes about to be reserved outside the heap (a {@code long}
     * parameter, or a constant {@code k:N} for a reservation the JDK makes in native code);
     * {@code a}, when set, is the session of a native memory segment. Charged to the invocation's
     * native budget; a reservation that would pass it ends the invocation {@code NATIVE_EXCEEDED}
     * before anything is reserved. The woven call is {@code Gate.reserve}, not {@code Gate.check}.
     */
    NATIVE_MEMORY;

    /** @return true when the rule's {@code n} is a byte count passed as a {@code long} to {@code Gate.reserve} */
    boolean reserves() {
        return this == NATIVE_MEMORY;
    }
}
