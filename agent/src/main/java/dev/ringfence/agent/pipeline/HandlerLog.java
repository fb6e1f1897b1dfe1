package dev.ringfence.agent.pipeline;

import dev.ringfence.agent.log.EventLog;
import java.io.PrintStream;

/**
 * Where the lines a handler writes through {@code Context.logger()} go. Implementations must be
 * thread-safe and must not throw; they are called on the handler's sandbox thread, so they must
 * not run handler code either (the message is a plain string by then).
 */
@FunctionalInterface
public interface HandlerLog {
    /**
     * Writes one line.
     *
     * @param route the route
     * @param requestId the request's id
     * @param level {@code INFO} or {@code WARN}
     * @param message what the handler wrote, clipped to 4096 characters
     */
    void line(String route, String requestId, String level, String message);

    /**
     * @param out where the lines go
     * @return plain text lines, {@code [route requestId] LEVEL message} (the CLI's {@code invoke})
     */
    static HandlerLog text(PrintStream out) {
        return (route, requestId, level, message) -> out.println("[" + route + " " + requestId + "] " + level + " " + message);
    }

    /**
     * @param log the structured event log
     * @return {@code handler-log} events: {@code {"event":"handler-log","route":…,"requestId":…,"level":…,"message":…}}
     */
    static HandlerLog events(EventLog log) {
        return (route, requestId, level, message) -> log.emit(log.line("handler-log").put("route", route)
                .put("requestId", requestId).put("level", level).put("message", message));
    }
}
