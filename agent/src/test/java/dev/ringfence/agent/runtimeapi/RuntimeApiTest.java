package dev.ringfence.agent.runtimeapi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RuntimeApiTest {
    @Test
    void shouldNameTheErrorsTypeAndMessage() {
        byte[] body = "{\"errorMessage\":\"boom\",\"errorType\":\"BodyType\"}".getBytes(StandardCharsets.UTF_8);

        assertEquals("HeaderType: boom", RuntimeApi.errorText("HeaderType", body));
        assertEquals("BodyType: boom", RuntimeApi.errorText(null, body));
        assertEquals("Unhandled: not json", RuntimeApi.errorText("", "not json".getBytes(StandardCharsets.UTF_8)));
        assertEquals("Unhandled", RuntimeApi.errorText(null, new byte[0]));
    }
}
