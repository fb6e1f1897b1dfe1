package dev.ringfence.limiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** {@link Policy#toPropertiesFile}: what {@link Properties#load} reads back, whatever the values hold. */
class PolicyFilePropertiesTest {
    /** Text with what a properties file treats specially: separators, comments, escapes, line ends, non-ASCII. */
    @Provide
    Arbitrary<String> awkward() {
        return Arbitraries.strings().withChars("ab/ .,:=#!\\\t\r\n\f'\"éü€\uD83D\uDE00").withCharRange('\u0001', '\u007f')
                .ofMaxLength(24);
    }

    /** The same without surrogates, which a path on this file system cannot hold alone. */
    @Provide
    Arbitrary<String> pathy() {
        return Arbitraries.strings().withChars("ab/ .:=#!\\\t'\"éü€").withCharRange('\u0001', '\u007f').ofMaxLength(24);
    }

    @Property(tries = 300)
    void shouldReadBackAsTheSameProperties(@ForAll("pathy") String dir, @ForAll("awkward") String host,
            @ForAll("awkward") String env, @ForAll("awkward") String comment, @ForAll boolean threads)
            throws IOException {
        Properties p = new Properties();
        p.setProperty("policy.read", "/srv/" + dir.replace(',', '_'));
        p.setProperty("policy.hosts", host);
        p.setProperty("policy.env", env);
        p.setProperty("policy.threads", Boolean.toString(threads));
        Policy policy = Policy.fromProperties(p);

        byte[] file = policy.toPropertiesFile(comment);
        Properties back = new Properties();
        back.load(new ByteArrayInputStream(file));

        assertEquals(policy.toProperties(), back);
        assertEquals(policy.fingerprint(), Policy.fromProperties(back).fingerprint());
        String text = new String(file, StandardCharsets.US_ASCII);
        assertTrue(text.startsWith("#") && text.endsWith("\n"), text);
        assertEquals(1 + policy.toProperties().size(), List.of(text.split("\n")).size(), text);
    }
}
