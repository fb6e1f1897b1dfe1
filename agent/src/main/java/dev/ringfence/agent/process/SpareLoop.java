package dev.ringfence.agent.process;

import dev.ringfence.agent.pipeline.ChildRoute;
import dev.ringfence.api.Budgets;
import dev.ringfence.limiter.MeteredExecutor;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.agrona.concurrent.IdleStrategy;

/**
 * The child's side of a generic spare ({@code worker --spare --channel FILE}, see
 * {@link SpareChild}): maps the channel, warms up ({@link WarmUp}), announces itself spare, and
 * waits, without burning a core (the same spin, park and stdin sleep as {@link WorkerLoop}), for a
 * {@code LOAD} message. That message carries the {@code worker} arguments of a version; the spare
 * then opens it exactly as a child started for it does (the same class loader per version, budgets
 * and deny policy) and serves it as {@link WorkerLoop} does. A {@code STOP} before any {@code LOAD}
 * ends it.
 */
public final class SpareLoop {
    /** What a {@code LOAD} message opens: the requests' budgets, the route, the requests it runs at once. */
    public record Load(Budgets budgets, Supplier<ChildRoute> open, int concurrency) {
    }

    private SpareLoop() {
    }

    /**
     * Warms up, waits for a version and serves it until told to stop or the parent is gone.
     *
     * @param channelFile the channel file the host created
     * @param executor the sandbox's executor
     * @param load parses a {@code LOAD} message's arguments; a {@link RuntimeException}'s message says what is wrong
     * @param err where to report
     * @return the exit code, as {@link WorkerLoop#serve}'s
     */
    public static int serve(Path channelFile, MeteredExecutor executor, Function<List<String>, Load> load,
            PrintStream err) {
        ChannelFile channel = ChannelFile.open(channelFile);
        WorkerLoop.watchParent(err);
        try {
            WarmUp.run(executor, load, WarmUp.dirOf(channelFile));
        } catch (RuntimeException e) {
            return failed(channel, "the spare's warm-up failed: " + e, err);
        }
        channel.markSpare();
        List<String> args = awaitLoad(channel);
        if (args == null) {
            return WorkerLoop.EXIT_STOPPED;
        }
        Load l;
        try {
            l = load.apply(args);
        } catch (RuntimeException e) {
            return failed(channel, e.getMessage() == null ? e.toString() : e.getMessage(), err);
        }
        return WorkerLoop.serveOpen(channel, l.budgets(), executor, l.open(), err, l.concurrency());
    }

    private static int failed(ChannelFile channel, String why, PrintStream err) {
        channel.markFailed(why);
        err.println("ringfence worker: " + why);
        return WorkerLoop.EXIT_START_FAILED;
    }

    /** The arguments of the first {@code LOAD} message, or null when a {@code STOP} came first. */
    private static List<String> awaitLoad(ChannelFile channel) {
        IdleStrategy idle = WorkerLoop.idleStrategy();
        FileInputStream wakeUps = new FileInputStream(FileDescriptor.in);
        byte[] wakeBytes = new byte[64];
        Object[] got = new Object[1];
        long idleSince = System.nanoTime();
        while (true) {
            int n = channel.requests().read((type, buffer, index, length) -> got[0] = type == Frames.LOAD
                    ? Frames.decodeLoad(buffer, index) : type == Frames.STOP ? Boolean.FALSE : null, 1);
            if (got[0] instanceof List<?>) {
                @SuppressWarnings("unchecked")
                List<String> args = (List<String>) got[0];
                return args;
            }
            if (got[0] == Boolean.FALSE) {
                return null;
            }
            if (n > 0) {
                continue; // nothing else is sent to a spare; a stray message is dropped
            }
            if (System.nanoTime() - idleSince > WorkerLoop.DEEP_SLEEP_AFTER_NANOS) {
                WorkerLoop.sleepUntilWoken(channel, wakeUps, wakeBytes);
                idleSince = System.nanoTime();
                idle.reset();
                continue;
            }
            idle.idle();
        }
    }
}
