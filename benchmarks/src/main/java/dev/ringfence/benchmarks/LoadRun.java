package dev.ringfence.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Load from this process: one thread and one keep-alive {@link LoopbackHttp} connection per
 * client, for a warm-up and then a measured window, both fixed in time. Closed loop (each client
 * sends its next request when the last one is answered) or, with a rate, open loop: request
 * {@code k} is due at {@code start + k / rate} whichever client sends it, and its latency is also
 * recorded from when it was due, so a server that falls behind is not flattered by clients that
 * wait for it. Latencies go into HdrHistograms per status code; failures without a response are
 * counted apart.
 */
final class LoadRun {
    /** Sees every response, warm-up included, on the client's thread. */
    interface Sink {
        void accept(LoopbackHttp.Response response, long doneNanos);
    }

    /** What a run measured in its window. */
    static final class Result {
        final Map<Integer, Histogram> service = new TreeMap<>();
        final Map<Integer, Histogram> fromDue = new TreeMap<>();
        long errors;
        String firstError;
        long reconnects;
        double seconds;
        long cpuNanosClient;

        long count() {
            return service.values().stream().mapToLong(Histogram::getTotalCount).sum();
        }

        long count(int status) {
            Histogram h = service.get(status);
            return h == null ? 0 : h.getTotalCount();
        }

        long countOther(int status) {
            return count() - count(status);
        }

        /** @return every status pooled */
        Histogram all() {
            Histogram h = histogram();
            service.values().forEach(h::add);
            return h;
        }

        void add(Result r) {
            r.service.forEach((s, h) -> service.computeIfAbsent(s, k -> histogram()).add(h));
            r.fromDue.forEach((s, h) -> fromDue.computeIfAbsent(s, k -> histogram()).add(h));
            errors += r.errors;
            if (firstError == null) {
                firstError = r.firstError;
            }
            reconnects += r.reconnects;
            seconds += r.seconds;
            cpuNanosClient += r.cpuNanosClient;
        }
    }

    static Histogram histogram() {
        return new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
    }

    private LoadRun() {
    }

    /**
     * Runs the load and returns when every client has stopped (at most the read timeout after the
     * window ends).
     *
     * @param address the server
     * @param path what to {@code GET}
     * @param clients concurrent connections
     * @param rate requests a second in all (open loop), or 0 for a closed loop
     * @param warmupMillis not recorded
     * @param measureMillis recorded
     * @param readTimeoutMillis bound on one response
     * @param sink sees every response, or null
     * @return the window's figures
     * @throws InterruptedException when interrupted while waiting for the clients
     */
    static Result run(InetSocketAddress address, String path, int clients, double rate, long warmupMillis,
            long measureMillis, int readTimeoutMillis, Sink sink) throws InterruptedException {
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        long measureFrom = start + TimeUnit.MILLISECONDS.toNanos(warmupMillis);
        long end = measureFrom + TimeUnit.MILLISECONDS.toNanos(measureMillis);
        double periodNanos = rate > 0 ? 1e9 / rate : 0;
        AtomicLong ticket = new AtomicLong();
        List<Result> parts = new ArrayList<>();
        List<LoopbackHttp> conns = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long cpuBefore = processCpuNanos();
        for (int c = 0; c < clients; c++) {
            Result part = new Result();
            LoopbackHttp http = new LoopbackHttp(address, readTimeoutMillis);
            parts.add(part);
            conns.add(http);
            Thread t = new Thread(() -> {
                byte[] request = http.get(path);
                while (true) {
                    long due;
                    if (periodNanos > 0) {
                        due = start + (long) (ticket.getAndIncrement() * periodNanos);
                        if (due >= end) {
                            break;
                        }
                        for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                            LockSupport.parkNanos(wait);
                        }
                    } else {
                        due = Math.max(System.nanoTime(), start);
                        if (due >= end) {
                            break;
                        }
                        for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                            LockSupport.parkNanos(wait);
                        }
                    }
                    long sent = System.nanoTime();
                    LoopbackHttp.Response r;
                    try {
                        r = http.send(request);
                    } catch (IOException | RuntimeException e) {
                        long done = System.nanoTime();
                        if (done >= measureFrom && done < end) {
                            part.errors++;
                            if (part.firstError == null) {
                                part.firstError = e.toString();
                            }
                        }
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // no busy loop on a refused connect
                        continue;
                    }
                    long done = System.nanoTime();
                    if (sink != null) {
                        sink.accept(r, done);
                    }
                    if (done >= measureFrom && done < end) {
                        record(part.service, r.status(), done - sent);
                        record(part.fromDue, r.status(), done - due);
                    }
                }
                part.reconnects = http.reconnects();
                http.close();
            }, "load-" + c);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        long joinUntil = end + TimeUnit.MILLISECONDS.toNanos(readTimeoutMillis + 5_000L);
        for (Thread t : threads) {
            long left = joinUntil - System.nanoTime();
            if (left > 0) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
        conns.forEach(LoopbackHttp::close); // unblocks any client still reading
        for (Thread t : threads) {
            t.join(5_000);
        }
        Result all = new Result();
        parts.forEach(all::add);
        all.seconds = measureMillis / 1000.0;
        all.cpuNanosClient = processCpuNanos() - cpuBefore;
        return all;
    }

    private static void record(Map<Integer, Histogram> by, int status, long nanos) {
        Histogram h = by.computeIfAbsent(status, k -> histogram());
        h.recordValue(Math.min(Math.max(nanos, 0), h.getHighestTrackableValue()));
    }

    /** @return CPU time of this process so far, or 0 when the JVM does not say */
    static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
        }
        return 0;
    }
}
