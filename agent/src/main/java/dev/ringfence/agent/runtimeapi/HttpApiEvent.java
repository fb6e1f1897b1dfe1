package dev.ringfence.agent.runtimeapi;

import dev.ringfence.agent.log.JsonText;
import dev.ringfence.api.Request;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The event a function receives for an HTTP request: the shape of an API Gateway HTTP API event,
 * payload format version 2.0 (what a Lambda function URL sends too), so functions written for
 * those run unchanged.
 *
 * <p>The route is the function's whole domain, as a function URL is: {@code rawPath} and
 * {@code requestContext.http.path} are the path below {@code /fn/<route>}. Header names are lower
 * case, a repeated header's values joined with commas; {@code Cookie} headers move to
 * {@code cookies}; a repeated query parameter's values are joined with commas in
 * {@code queryStringParameters}, and {@code rawQueryString} is rebuilt from the decoded parameters
 * (the front does not keep the query as sent). A body is text when its content type is textual
 * ({@code text/*}, JSON, XML, JavaScript, form data) and it is valid UTF-8, else base64 with
 * {@code isBase64Encoded} true; an empty body is left out.
 *
 * <p>Stateless and thread-safe.
 */
public final class HttpApiEvent {
    private static final DateTimeFormatter CLF = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private HttpApiEvent() {
    }

    /**
     * Builds the event.
     *
     * @param request the request, as the front passed it to the route
     * @param route the route's name (the API's id and the domain prefix)
     * @param timeEpochMillis when the request arrived, by the wall clock
     * @return the event's JSON text
     */
    public static String of(Request request, String route, long timeEpochMillis) {
        JsonText headers = new JsonText();
        List<String> cookies = new ArrayList<>();
        for (Map.Entry<String, String> h : request.headers().entrySet()) {
            if (h.getKey().equals("cookie")) {
                for (String c : h.getValue().split(";")) {
                    if (!c.isBlank()) {
                        cookies.add(c.trim());
                    }
                }
            } else {
                headers.put(h.getKey(), h.getValue());
            }
        }
        StringBuilder raw = new StringBuilder();
        JsonText params = new JsonText();
        for (Map.Entry<String, List<String>> q : request.query().entrySet()) {
            params.put(q.getKey(), String.join(",", q.getValue()));
            for (String v : q.getValue()) {
                raw.append(raw.length() == 0 ? "" : "&").append(encode(q.getKey())).append('=').append(encode(v));
            }
        }
        String host = request.header("host");
        String userAgent = request.header("user-agent");
        JsonText http = new JsonText().put("method", request.method()).put("path", request.path())
                .put("protocol", "HTTP/1.1").put("sourceIp", sourceIp(request.remoteAddress()))
                .put("userAgent", userAgent == null ? "" : userAgent);
        JsonText context = new JsonText().put("accountId", "anonymous").put("apiId", route)
                .put("domainName", host == null ? "localhost" : host).put("domainPrefix", route).put("http", http)
                .put("requestId", request.requestId()).put("routeKey", "$default").put("stage", "$default")
                .put("time", CLF.format(Instant.ofEpochMilli(timeEpochMillis))).put("timeEpoch", timeEpochMillis);
        JsonText event = new JsonText().put("version", "2.0").put("routeKey", "$default")
                .put("rawPath", request.path()).put("rawQueryString", raw.toString());
        if (!cookies.isEmpty()) {
            event.put("cookies", cookies);
        }
        event.put("headers", headers);
        if (!request.query().isEmpty()) {
            event.put("queryStringParameters", params);
        }
        event.put("requestContext", context);
        byte[] body = request.body();
        boolean base64 = false;
        if (body.length > 0) {
            String text = textual(request.header("content-type")) ? utf8(body) : null;
            base64 = text == null;
            event.put("body", base64 ? Base64.getEncoder().encodeToString(body) : text);
        }
        return event.put("isBase64Encoded", base64).toString();
    }

    /**
     * Whether a body of this content type is passed as text (when it is valid UTF-8).
     *
     * @param contentType the content type, or null
     * @return true for {@code text/*}, JSON, XML, JavaScript and form data
     */
    static boolean textual(String contentType) {
        if (contentType == null) {
            return false;
        }
        String t = contentType.toLowerCase(Locale.ROOT);
        int semi = t.indexOf(';');
        t = (semi < 0 ? t : t.substring(0, semi)).trim();
        return t.startsWith("text/") || t.endsWith("/json") || t.endsWith("+json") || t.endsWith("/xml")
                || t.endsWith("+xml") || t.endsWith("/javascript") || t.equals("application/x-www-form-urlencoded");
    }

    /** @return the bytes as UTF-8 text, or null when they are not valid UTF-8 */
    private static String utf8(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The address without its port ({@code 127.0.0.1:5312}, {@code [::1]:5312}). */
    private static String sourceIp(String address) {
        if (address == null) {
            return "";
        }
        if (address.startsWith("[")) {
            int end = address.indexOf(']');
            return end < 0 ? address : address.substring(1, end);
        }
        int colon = address.lastIndexOf(':');
        return colon > 0 && address.indexOf(':') == colon ? address.substring(0, colon) : address;
    }
}
