package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Recording;

/**
 * Registers a JFR listener, which the JVM calls on whatever thread starts or stops a recording.
 * Must end {@code DENIED}.
 */
public class JfrListenerRegistration implements Handler {
    /** Creates the handler. */
    public JfrListenerRegistration() {
    }

    @Override
    public Response handle(Request request, Context context) {
        FlightRecorder.addListener(new FlightRecorderListener() {
            @Override
            public void recordingStateChanged(Recording recording) {
            }
        });
        return Response.ok("escaped: a listener now runs on host threads");
    }
}
