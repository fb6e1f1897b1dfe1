package dev.ringfence.loader;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.nio.charset.StandardCharsets;

/**
 * Serves a version's resources from memory under {@code ringfence-mem://<short id>/<n>/<name>}
 * URLs, where {@code n} tells apart the copies of one name in different classpath elements. The
 * URLs carry this handler, so no protocol is registered with the JDK, and opening them never
 * touches the file system or the network (host names are never resolved).
 *
 * <p>Holds the content, never the class loader, so a URL that outlives its version keeps no
 * classes alive; once {@link #close closed} it answers {@link IOException}. Thread-safe.
 */
final class MemoryResources extends URLStreamHandler {
    /** The URL scheme. */
    static final String PROTOCOL = "ringfence-mem";

    private final String host;
    private volatile ClasspathContent content;

    MemoryResources(String host, ClasspathContent content) {
        this.host = host;
        this.content = content;
    }

    /** Forgets the content: later reads fail. */
    void close() {
        content = null;
    }

    /**
     * @return the URL of the version as a whole, for its code source
     */
    URL base() {
        return url("/");
    }

    /**
     * The URL of one copy of a resource.
     *
     * @param name the resource name
     * @param index which copy, 0 for the first classpath element that has it
     * @return the URL
     */
    URL url(String name, int index) {
        return url("/" + index + "/" + encode(name));
    }

    private URL url(String file) {
        try {
            return new URL(PROTOCOL, host, -1, file, this);
        } catch (MalformedURLException e) {
            throw new IllegalStateException("cannot form a resource URL for " + file, e);
        }
    }

    @Override
    protected URLConnection openConnection(URL u) throws IOException {
        ClasspathContent c = content;
        if (c == null) {
            throw new IOException("the handler version was closed: " + u);
        }
        String path = u.getPath();
        int slash = path.indexOf('/', 1);
        if (slash < 0) {
            throw new FileNotFoundException(u.toString());
        }
        byte[] bytes;
        try {
            bytes = c.get(decode(path.substring(slash + 1)), Integer.parseInt(path.substring(1, slash)));
        } catch (IllegalArgumentException e) {
            bytes = null;
        }
        if (bytes == null) {
            throw new FileNotFoundException(u.toString());
        }
        return new Connection(u, bytes);
    }

    @Override
    protected InetAddress getHostAddress(URL u) {
        return null; // the host is a version id: never resolve it
    }

    static String encode(String name) {
        StringBuilder sb = new StringBuilder(name.length() + 8);
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c < 0x80 && (Character.isLetterOrDigit(c) || "/._-$~+!*'(),;=:@".indexOf(c) >= 0)) {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return sb.toString();
    }

    static String decode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length()) {
                out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** A connection to bytes in memory. */
    private static final class Connection extends URLConnection {
        private final byte[] bytes;

        Connection(URL url, byte[] bytes) {
            super(url);
            this.bytes = bytes;
        }

        @Override
        public void connect() {
            connected = true;
        }

        @Override
        public InputStream getInputStream() {
            connected = true;
            return new ByteArrayInputStream(bytes);
        }

        @Override
        public long getContentLengthLong() {
            return bytes.length;
        }

        @Override
        public int getContentLength() {
            return bytes.length;
        }

        @Override
        public String getContentType() {
            String t = guessContentTypeFromName(url.getPath());
            return t == null ? "application/octet-stream" : t;
        }
    }
}
