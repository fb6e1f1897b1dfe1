package dev.ringfence.agent.runtimeapi;

import dev.ringfence.api.Response;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Maps what a function answered to the HTTP response, as API Gateway's HTTP API does with payload
 * format 2.0.
 *
 * <ul>
 *   <li>A JSON object with an integer {@code statusCode} (100 to 599) is a proxy result: that status,
 *       its {@code headers} (string, number or boolean values), {@code body} (a string, base64 when
 *       {@code isBase64Encoded} is true; any other JSON value is written as JSON) and
 *       {@code cookies} (the first becomes {@code Set-Cookie}: the response carries one value per
 *       header name, so further cookies are dropped). Without a {@code content-type} header the
 *       type is {@code application/json}.</li>
 *   <li>Anything else — JSON without {@code statusCode}, or bytes that are not JSON at all — is the
 *       body of a 200 answer, {@code application/json}, byte for byte.</li>
 *   <li>A proxy result that is malformed (a {@code statusCode} out of range or not an integer, a
 *       body marked base64 that is not) is an {@link IllegalArgumentException}: the function's
 *       fault, which the runtime reports as an {@code ERROR}.</li>
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class ProxyResult {
    /** The content type of a result without one. */
    public static final String JSON = "application/json";

    private ProxyResult() {
    }

    /**
     * Maps a result.
     *
     * @param payload what the function posted to {@code /response}
     * @return the response
     * @throws IllegalArgumentException on a malformed proxy result
     */
    public static Response toResponse(byte[] payload) {
        Object parsed = parse(payload);
        if (!(parsed instanceof Map) || !((Map<?, ?>) parsed).containsKey("statusCode")) {
            return Response.bytes(200, payload, JSON);
        }
        Map<?, ?> m = (Map<?, ?>) parsed;
        int status = status(m.get("statusCode"));
        Map<String, String> headers = new LinkedHashMap<>();
        String contentType = JSON;
        Object h = m.get("headers");
        if (h instanceof Map) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) h).entrySet()) {
                Object v = e.getValue();
                if (!(v instanceof String || v instanceof BigDecimal || v instanceof Boolean)) {
                    continue; // API Gateway takes scalar header values only
                }
                String name = String.valueOf(e.getKey());
                String value = v instanceof BigDecimal ? ((BigDecimal) v).toPlainString() : v.toString();
                if (name.toLowerCase(Locale.ROOT).equals("content-type")) {
                    contentType = value;
                } else {
                    headers.put(name, value);
                }
            }
        } else if (h != null) {
            throw new IllegalArgumentException("the result's headers are not an object");
        }
        Object cookies = m.get("cookies");
        if (cookies instanceof List && !((List<?>) cookies).isEmpty() && ((List<?>) cookies).get(0) instanceof String) {
            headers.put("Set-Cookie", (String) ((List<?>) cookies).get(0));
        }
        byte[] body = body(m.get("body"), Boolean.TRUE.equals(m.get("isBase64Encoded")));
        return Response.bytes(status, body, contentType).withHeaders(headers);
    }

    private static Object parse(byte[] payload) {
        try {
            return JsonReader.parse(new String(payload, StandardCharsets.UTF_8));
        } catch (JsonReader.JsonException e) {
            return null;
        }
    }

    private static int status(Object code) {
        if (code instanceof BigDecimal) {
            try {
                int s = ((BigDecimal) code).intValueExact();
                if (s >= 100 && s <= 599) {
                    return s;
                }
            } catch (ArithmeticException e) {
                // not an integer: refused below
            }
        }
        throw new IllegalArgumentException("the result's statusCode is not an HTTP status (100 to 599): " + code);
    }

    private static byte[] body(Object body, boolean base64) {
        if (body == null) {
            return new byte[0];
        }
        String text = body instanceof String ? (String) body : JsonReader.write(body);
        if (!base64) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the result's body is marked isBase64Encoded but is not base64", e);
        }
    }
}
