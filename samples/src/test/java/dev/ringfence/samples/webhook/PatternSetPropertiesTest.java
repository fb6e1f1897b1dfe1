package dev.ringfence.samples.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The seed's property 4, as structure rather than time: whatever the set's size (1 to 10,000
 * patterns), it answers membership exactly, its table stays at most half full, and a lookup costs
 * the same few probes on average.
 */
class PatternSetPropertiesTest {
    @Property(tries = 60)
    void lookupsStayExactAndConstantInProbesAcrossSizes(@ForAll @IntRange(min = 1, max = 10_000) int size,
            @ForAll long seed) {
        Random random = new Random(seed);
        PatternSet set = new PatternSet();
        Set<Long> in = new HashSet<>();
        while (in.size() < size) {
            long h = random.nextLong(); // a subject hash is a 64-bit FNV-1a value: any long
            in.add(h);
            set.add(h);
        }
        assertEquals(in.size(), set.size());
        assertTrue(set.capacity() >= 2 * size, "at most half full: " + set.capacity() + " slots for " + size);
        assertTrue(set.capacity() <= 4 * Math.max(size, 8), "no more than twice the room it needs");
        for (long h : in) {
            assertTrue(set.contains(h));
        }
        int absent = 0;
        while (absent < size) {
            long h = random.nextLong();
            if (!in.contains(h)) {
                assertFalse(set.contains(h));
                absent++;
            }
        }
        double perLookup = (double) set.probes() / set.lookups();
        if (size >= 100) { // enough lookups for the average to settle: about 1.5 found, 2.5 not found at half full
            assertTrue(perLookup <= 3.0, perLookup + " probes a lookup at " + size + " patterns");
        }
    }

    @Property(tries = 200)
    void removingAPatternLeavesEveryOtherFindable(@ForAll @IntRange(min = 1, max = 300) int size, @ForAll long seed) {
        Random random = new Random(seed);
        PatternSet set = new PatternSet();
        Set<Long> in = new HashSet<>();
        while (in.size() < size) {
            long h = random.nextLong();
            in.add(h);
            set.add(h);
        }
        long gone = in.iterator().next();
        assertTrue(set.remove(gone));
        in.remove(gone);
        assertFalse(set.contains(gone));
        in.forEach(h -> assertTrue(set.contains(h)));
        assertEquals(in.size(), set.size());
    }
}
