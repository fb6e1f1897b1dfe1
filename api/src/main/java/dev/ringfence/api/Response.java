package dev.ringfence.api;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable response. The factories copy what they are given, so a handler cannot change a
 * response after returning it.
 */
public final class Response {
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String JSON = "application/json";

    private final int status;
    private final Map<String, String> headers;
    private final byte[] body;
    private final String contentType;

    private Response(int status, Map<String, String> headers, byte[] body, String contentType) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status must be between 100 and 599: " + status);
        }
        this.status = status;
        Map<String, String> copy = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : headers.entrySet()) {
            copy.put(String.valueOf(e.getKey()), String.valueOf(e.getValue()));
        }
        this.headers = Collections.unmodifiableMap(copy);
        this.body = body.clone();
        this.contentType = Objects.requireNonNull(contentType, "contentType");
    }

    /**
     * A 200 response with a UTF-8 text body.
     *
     * @param body the text
     * @return the response
     */
    public static Response ok(String body) {
        return of(200, body);
    }

    /**
     * A response with a status and a UTF-8 text body.
     *
     * @param status the HTTP status
     * @param body the text
     * @return the response
     */
    public static Response of(int status, String body) {
        return new Response(status, Map.of(), utf8(body), TEXT);
    }

    /**
     * A 200 response with a JSON body.
     *
     * @param json the JSON text
     * @return the response
     */
    public static Response json(String json) {
        return new Response(200, Map.of(), utf8(json), JSON);
    }

    /**
     * A response with bytes and a content type.
     *
     * @param status the HTTP status
     * @param body the bytes; copied
     * @param contentType the media type
     * @return the response
     */
    public static Response bytes(int status, byte[] body, String contentType) {
        return new Response(status, Map.of(), body, contentType);
    }

    /**
     * An empty response with a status.
     *
     * @param status the HTTP status
     * @return the response
     */
    public static Response status(int status) {
        return new Response(status, Map.of(), new byte[0], TEXT);
    }

    /**
     * This response with one more header.
     *
     * @param name the header name
     * @param value its value
     * @return a new response
     */
    public Response withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new Response(status, h, body, contentType);
    }

    /**
     * This response with these headers added.
     *
     * @param more the headers; copied
     * @return a new response
     */
    public Response withHeaders(Map<String, String> more) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.putAll(more);
        return new Response(status, h, body, contentType);
    }

    /**
     * This response with another content type.
     *
     * @param type the media type
     * @return a new response
     */
    public Response withContentType(String type) {
        return new Response(status, headers, body, type);
    }

    /** @return the HTTP status */
    public int status() {
        return status;
    }

    /** @return the headers, unmodifiable */
    public Map<String, String> headers() {
        return headers;
    }

    /** @return a copy of the body */
    public byte[] body() {
        return body.clone();
    }

    /** @return the body decoded as UTF-8 */
    public String bodyAsString() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** @return the media type */
    public String contentType() {
        return contentType;
    }

    private static byte[] utf8(String s) {
        return (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
    }
}
