package dev.ringfence.benchmarks;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One keep-alive HTTP/1.1 connection on a blocking socket, for load drivers: writes a prepared
 * {@code GET}, reads the status line, headers and body ({@code Content-Length} or chunked). It does
 * as little per request as an HTTP client can, so that on a small machine the server, not the
 * client, is what runs out of CPU. Not thread-safe: one connection per client thread.
 */
final class LoopbackHttp implements AutoCloseable {
    /** Longest status line or header line read. */
    static final int MAX_LINE = 8192;
    /** Largest body read. */
    static final int MAX_BODY = 16 << 20;

    /** A response: status, headers (names lower-case, first value), body. */
    record Response(int status, Map<String, String> headers, byte[] body, boolean close) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final InetSocketAddress address;
    private final int readTimeoutMillis;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private int reconnects;

    LoopbackHttp(InetSocketAddress address, int readTimeoutMillis) {
        this.address = address;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    /** @return how often a kept-alive connection was found closed by the server and opened again */
    int reconnects() {
        return reconnects;
    }

    /** @return the bytes of {@code GET path} to this connection's server */
    byte[] get(String path) {
        return ("GET " + path + " HTTP/1.1\r\nHost: " + address.getHostString() + ":" + address.getPort()
                + "\r\nAccept: */*\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** @return the bytes of {@code POST path} with a JSON body to this connection's server */
    byte[] postJson(String path, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: " + address.getHostString() + ":" + address.getPort()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] all = java.util.Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    /**
     * Sends a prepared request and reads its response. A connection the server closed while it was
     * idle (end of stream before the first byte of the response) is opened again and the request
     * sent once more: that is safe for {@code GET} and what every keep-alive client does.
     *
     * @param request from {@link #get}
     * @return the response
     * @throws IOException on any failure but that one
     */
    Response send(byte[] request) throws IOException {
        boolean reused = socket != null;
        if (!reused) {
            open();
        }
        try {
            out.write(request);
            out.flush();
            return finish(read(in));
        } catch (FirstByteEof e) {
            close();
            if (!reused) {
                throw new EOFException("the server closed a new connection without answering");
            }
            reconnects++;
            open();
            out.write(request);
            out.flush();
            return finish(read(in));
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private Response finish(Response r) {
        if (r.close()) {
            close();
        }
        return r;
    }

    private void open() throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(address, 5_000);
            s.setSoTimeout(readTimeoutMillis);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        socket = s;
        in = new BufferedInputStream(s.getInputStream(), 8192);
        out = s.getOutputStream();
    }

    @Override
    public void close() {
        Socket s = socket;
        socket = null;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** Thrown when a response ends before its first byte. */
    static final class FirstByteEof extends EOFException {
        private static final long serialVersionUID = 1L;

        FirstByteEof() {
            super("end of stream before the response");
        }
    }

    /**
     * Reads one HTTP/1.1 response.
     *
     * @param in the stream, left after the response's last byte
     * @return the response
     * @throws FirstByteEof when the stream ends before the response starts
     * @throws IOException when it ends later, or the response is malformed or too large
     */
    static Response read(InputStream in) throws IOException {
        String statusLine = line(in, true);
        if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
            throw new IOException("not an HTTP/1.x status line: " + statusLine);
        }
        int status;
        try {
            status = Integer.parseInt(statusLine.substring(9, 12));
        } catch (NumberFormatException e) {
            throw new IOException("bad status in: " + statusLine, e);
        }
        Map<String, String> headers = new HashMap<>();
        for (int n = 0;; n++) {
            if (n > 200) {
                throw new IOException("more than 200 headers");
            }
            String h = line(in, false);
            if (h.isEmpty()) {
                break;
            }
            int colon = h.indexOf(':');
            if (colon <= 0) {
                throw new IOException("bad header line: " + h);
            }
            headers.putIfAbsent(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        byte[] body;
        String te = headers.get("transfer-encoding");
        String cl = headers.get("content-length");
        boolean close = "close".equalsIgnoreCase(headers.get("connection")) || statusLine.startsWith("HTTP/1.0");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            body = chunked(in);
        } else if (cl != null) {
            long length;
            try {
                length = Long.parseLong(cl);
            } catch (NumberFormatException e) {
                throw new IOException("bad Content-Length: " + cl, e);
            }
            if (length < 0 || length > MAX_BODY) {
                throw new IOException("Content-Length out of range: " + cl);
            }
            body = exactly(in, (int) length);
        } else if (status == 204 || status == 304 || status / 100 == 1) {
            body = new byte[0];
        } else {
            body = in.readNBytes(MAX_BODY); // delimited by the end of the connection
            close = true;
        }
        return new Response(status, headers, body, close);
    }

    private static byte[] chunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int n = 0;; n++) {
            if (n > 100_000) {
                throw new IOException("too many chunks");
            }
            String sizeLine = line(in, false);
            int semi = sizeLine.indexOf(';');
            int size;
            try {
                size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size: " + sizeLine, e);
            }
            if (size < 0 || body.size() + (long) size > MAX_BODY) {
                throw new IOException("chunked body too large");
            }
            if (size == 0) {
                for (int t = 0; !line(in, false).isEmpty(); t++) { // trailers
                    if (t > 200) {
                        throw new IOException("too many trailers");
                    }
                }
                return body.toByteArray();
            }
            body.write(exactly(in, size));
            if (!line(in, false).isEmpty()) {
                throw new IOException("no CRLF after a chunk");
            }
        }
    }

    private static byte[] exactly(InputStream in, int length) throws IOException {
        byte[] b = in.readNBytes(length);
        if (b.length != length) {
            throw new EOFException("body ended after " + b.length + " of " + length + " bytes");
        }
        return b;
    }

    private static String line(InputStream in, boolean first) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                if (first && sb.length() == 0) {
                    throw new FirstByteEof();
                }
                throw new EOFException("end of stream inside a line: " + sb);
            }
            if (c == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') {
                    sb.setLength(len - 1);
                }
                return sb.toString();
            }
            if (sb.length() >= MAX_LINE) {
                throw new IOException("line longer than " + MAX_LINE);
            }
            sb.append((char) c);
        }
    }
}
