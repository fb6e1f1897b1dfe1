package dev.ringfence.limiter;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
