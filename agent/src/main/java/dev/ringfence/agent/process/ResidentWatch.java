package dev.ringfence.agent.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The host's judgement of a child's resident memory against its <em>envelope</em>: the child's
 * heap cap, direct-memory cap and Metaspace cap, plus a fixed allowance of
 * {@value #ALLOWANCE_MIB} MiB for what a JVM needs besides them (code cache, thread stacks, GC
 * structures, class-data sharing, the mapped channel). A child inside its caps stays well under
 * it: what passes it is memory no cap of the JVM bounds (native memory of a library or of the
 * JDK's own native code, thread stacks, leaks).
 *
 * <ul>
 * <li>past the <em>soft</em> limit ({@value #SOFT_PERCENT} % of the envelope) the child gets no new
 *   request and is recycled (stopped and replaced) when the one it runs has ended;</li>
 * <li>past the <em>hard</em> limit (the envelope) it is killed at once, and the request it was
 *   running ends {@code NATIVE_EXCEEDED}.</li>
 * </ul>
 *
 * <p>The resident size is read by the host from {@code /proc/<pid>/status} ({@code VmRSS}) every
 * {@value #POLL_MILLIS} ms, so a child that is stuck, and cannot report, is watched as well; where
 * there is no {@code /proc} (not Linux) nothing is read and nothing is judged. Immutable and
 * thread-safe.
 */
public final class ResidentWatch {
    /** What a JVM needs besides its heap, direct memory and Metaspace, in MiB. */
    public static final long ALLOWANCE_MIB = 96;
    /** The soft limit, in percent of the envelope. */
    public static final int SOFT_PERCENT = 85;
    /** How often the host reads a child's resident size. */
    static final long POLL_MILLIS = 500;

    /** Where a child's resident size stands. */
    public enum Verdict {
        /** Under the soft limit, or unknown. */
        WITHIN,
        /** Past the soft limit: drain and recycle. */
        SOFT,
        /** Past the hard limit: kill now. */
        HARD
    }

    private final long envelope;
    private final long soft;

    /**
     * @param caps the child's caps
     */
    public ResidentWatch(WorkerSpec.Caps caps) {
        this.envelope = caps.heapBytes() + caps.directBytes() + caps.metaspaceBytes() + (ALLOWANCE_MIB << 20);
        this.soft = envelope / 100 * SOFT_PERCENT;
    }

    /** @return the envelope, the hard limit, in bytes */
    public long envelopeBytes() {
        return envelope;
    }

    /** @return the soft limit in bytes */
    public long softBytes() {
        return soft;
    }

    /**
     * @param residentBytes a child's resident size, or -1 when unknown
     * @return where it stands
     */
    public Verdict judge(long residentBytes) {
        if (residentBytes > envelope) {
            return Verdict.HARD;
        }
        return residentBytes > soft ? Verdict.SOFT : Verdict.WITHIN;
    }

    /**
     * @param pid the child
     * @param residentBytes its resident size
     * @return why it was killed, as the request it ran reports it
     */
    String hardMessage(long pid, long residentBytes) {
        return "the worker process (pid " + pid + ") was killed: its resident memory of " + mib(residentBytes)
                + " passed its envelope of " + mib(envelope) + " (heap, direct memory and Metaspace caps and "
                + ALLOWANCE_MIB + " MiB for the JVM itself); it is being replaced";
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    /**
     * Reads a process's resident set size.
     *
     * @param pid the process
     * @return {@code VmRSS} in bytes, or -1 when it cannot be read (no {@code /proc}, the process is gone)
     */
    public static long residentBytes(long pid) {
        Path status = Path.of("/proc", Long.toString(pid), "status");
        try {
            for (String line : Files.readAllLines(status, StandardCharsets.ISO_8859_1)) {
                if (line.startsWith("VmRSS:")) {
                    String kb = line.substring("VmRSS:".length()).trim();
                    int space = kb.indexOf(' ');
                    return Long.parseLong(space < 0 ? kb : kb.substring(0, space)) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
