package dev.ringfence.agent.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two mappings of one real file, as the host and the child have them. */
class ChannelFileTest {
    @TempDir
    Path dir;

    @Test
    void shouldCarryMessagesBetweenTwoMappingsOfTheFile() {
        ChannelFile host = ChannelFile.create(dir.resolve("c"), 4096);
        ChannelFile child = ChannelFile.open(dir.resolve("c"));
        UnsafeBuffer msg = new UnsafeBuffer(new byte[64]);
        msg.putLong(0, 77);

        assertTrue(host.requests().write(Frames.REQUEST, msg, 0, 8));
        List<Long> got = new ArrayList<>();
        int n = child.requests().read((type, buffer, index, length) -> got.add(buffer.getLong(index)));

        assertEquals(1, n);
        assertEquals(List.of(77L), got);
        assertEquals(host.requests().producerPosition(), host.requests().consumerPosition());
    }

    @Test
    void shouldShowTheChildsStateAndTextToTheHost() {
        ChannelFile host = ChannelFile.create(dir.resolve("c"), 4096);
        ChannelFile child = ChannelFile.open(dir.resolve("c"));
        assertEquals(ChannelFile.STATE_STARTING, host.state());

        child.markReady("0123abcd");

        assertEquals(ChannelFile.STATE_READY, host.state());
        assertEquals("0123abcd", host.stateText());
        assertEquals(ProcessHandle.current().pid(), host.childPid());
    }

    @Test
    void shouldBoundAMessageToAnEighthOfTheRing() {
        ChannelFile host = ChannelFile.create(dir.resolve("c"), 1 << 16);
        assertEquals((1 << 16) / 8, host.maxMessageBytes());
    }

    @Test
    void shouldRefuseAFileThatIsNoChannel() throws IOException {
        Path other = Files.write(dir.resolve("other"), new byte[8192]);
        assertThrows(IllegalArgumentException.class, () -> ChannelFile.open(other));
    }

    @Test
    void shouldRefuseACapacityThatIsNotAPowerOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> ChannelFile.create(dir.resolve("c"), 3000));
    }

    @Test
    void shouldLeaveNoFileWhenItsCreationIsInterrupted() throws Exception {
        Path file = dir.resolve("interrupted.channel");
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            Thread.currentThread().interrupt(); // as a worker closed while it launched a child interrupts its supervisor
            try {
                ChannelFile.create(file, 1 << 16);
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        t.join();

        assertInstanceOf(UncheckedIOException.class, thrown.get());
        assertFalse(Files.exists(file), "the file created before the interrupt is gone");
    }

    @Test
    void shouldLeaveAFileItDidNotCreateAlone() throws Exception {
        Path file = Files.writeString(dir.resolve("someone-elses.channel"), "not ours");

        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> ChannelFile.create(file, 1 << 16));

        assertTrue(e.getMessage().contains("it exists"), e.getMessage());
        assertEquals("not ours", Files.readString(file));
    }
}
