package dev.ringfence.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable request. Header names are lower-case; a header sent more than once is one entry
 * whose values are joined with {@code ", "}. Query parameters keep every value in order.
 */
public final class Request {
    private final String requestId;
    private final String method;
    private final String path;
    private final Map<String, String> headers;
    private final Map<String, List<String>> query;
    private final byte[] body;
    private final String remoteAddress;

    private Request(Builder b) {
        this.requestId = b.requestId;
        this.method = b.method;
        this.path = b.path;
        // the builder's maps are handed over: it copies them before it changes them again
        this.headers = Collections.unmodifiableMap(b.headers);
        Map<String, List<String>> q = b.query;
        if (!q.isEmpty()) {
            q.replaceAll((k, v) -> Collections.unmodifiableList(v));
        }
        this.query = Collections.unmodifiableMap(q);
        this.body = b.body;
        this.remoteAddress = b.remoteAddress;
    }

    /**
     * Starts a request.
     *
     * @param requestId the id, unique per invocation
     * @return a builder with method {@code GET}, path {@code /} and an empty body
     */
    public static Builder builder(String requestId) {
        return new Builder(requestId);
    }

    /** @return the request id */
    public String requestId() {
        return requestId;
    }

    /** @return the HTTP method, upper case */
    public String method() {
        return method;
    }

    /** @return the path below the route, starting with {@code /} */
    public String path() {
        return path;
    }

    /** @return the headers, names lower-case, unmodifiable */
    public Map<String, String> headers() {
        return headers;
    }

    /**
     * One header.
     *
     * @param name any case
     * @return its value, or {@code null}
     */
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** @return the query parameters, every value in order, unmodifiable */
    public Map<String, List<String>> query() {
        return query;
    }

    /**
     * The first value of a query parameter.
     *
     * @param name the parameter
     * @return its first value, or {@code null}
     */
    public String queryParam(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** @return a copy of the body bytes */
    public byte[] body() {
        return body.clone();
    }

    /** @return the body length in bytes */
    public int bodyLength() {
        return body.length;
    }

    /** @return the body decoded as UTF-8 */
    public String bodyAsString() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** @return the caller's address, {@code host:port}, or {@code "local"} */
    public String remoteAddress() {
        return remoteAddress;
    }

    /** Builds a {@link Request}. Not thread-safe. */
    public static final class Builder {
        private final String requestId;
        private String method = "GET";
        private String path = "/";
        private Map<String, String> headers = new LinkedHashMap<>();
        private Map<String, List<String>> query = new LinkedHashMap<>();
        /** Whether a built request holds the maps: copy them before changing them. */
        private boolean shared;
        private byte[] body = new byte[0];
        private String remoteAddress = "local";

        private Builder(String requestId) {
            this.requestId = Objects.requireNonNull(requestId, "requestId");
        }

        /**
         * @param method the HTTP method
         * @return this builder
         */
        public Builder method(String method) {
            this.method = method.toUpperCase(Locale.ROOT);
            return this;
        }

        /**
         * @param path the path
         * @return this builder
         */
        public Builder path(String path) {
            this.path = path.startsWith("/") ? path : "/" + path;
            return this;
        }

        /**
         * Adds a header; a repeated name joins its values with {@code ", "}.
         *
         * @param name the name, any case
         * @param value the value
         * @return this builder
         */
        public Builder header(String name, String value) {
            unshare();
            headers.merge(name.toLowerCase(Locale.ROOT), value, (a, c) -> a + ", " + c);
            return this;
        }

        /**
         * Adds a query parameter value.
         *
         * @param name the parameter
         * @param value the value
         * @return this builder
         */
        public Builder query(String name, String value) {
            unshare();
            query.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            return this;
        }

        /**
         * @param body the body; copied
         * @return this builder
         */
        public Builder body(byte[] body) {
            this.body = body.clone();
            return this;
        }

        /**
         * @param body the body, encoded as UTF-8
         * @return this builder
         */
        public Builder body(String body) {
            this.body = body.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        /**
         * @param remoteAddress the caller's address
         * @return this builder
         */
        public Builder remoteAddress(String remoteAddress) {
            this.remoteAddress = remoteAddress;
            return this;
        }

        /** @return the request; later changes to this builder do not reach it */
        public Request build() {
            shared = true;
            return new Request(this);
        }

        /** Copies the maps a built request holds before they are changed (copy on write). */
        private void unshare() {
            if (!shared) {
                return;
            }
            shared = false;
            headers = new LinkedHashMap<>(headers);
            Map<String, List<String>> q = new LinkedHashMap<>();
            query.forEach((k, v) -> q.put(k, new ArrayList<>(v)));
            query = q;
        }
    }
}
