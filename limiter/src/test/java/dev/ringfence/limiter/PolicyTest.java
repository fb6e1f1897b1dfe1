package dev.ringfence.limiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class PolicyTest {
    @Test
    void shouldReadBackWhatItWritesAsProperties() {
        Properties p = new Properties();
        p.setProperty("policy.read", "/srv/data, /etc/app");
        p.setProperty("policy.write", "/tmp/out");
        p.setProperty("policy.hosts", "example.com:443,Api.Example.com");
        p.setProperty("policy.env", "HOME,LANG");
        p.setProperty("policy.threads", "true");
        Policy policy = Policy.fromProperties(p);

        Policy back = Policy.fromProperties(policy.toProperties());

        assertEquals(policy.fingerprint(), back.fingerprint());
        assertEquals(Policy.DENY_ALL.fingerprint(), Policy.fromProperties(Policy.DENY_ALL.toProperties()).fingerprint());
    }

    @Test
    void shouldKeepADirectoryWhoseNameEndsInWhiteSpaceThroughAChildsFile() throws IOException {
        Properties p = new Properties();
        p.setProperty("policy.read", "/srv/ /");
        Policy policy = Policy.fromProperties(p);
        assertTrue(policy.mayRead(Path.of("/srv/ /data")));
        assertFalse(policy.mayRead(Path.of("/srv/data")));

        Properties file = new Properties();
        file.load(new ByteArrayInputStream(policy.toPropertiesFile("a child's")));
        Policy child = Policy.fromProperties(file);

        assertEquals(policy.fingerprint(), child.fingerprint());
        assertFalse(child.mayRead(Path.of("/srv/data")), "widened to the parent in the child");
    }
}
