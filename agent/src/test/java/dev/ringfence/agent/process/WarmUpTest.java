package dev.ringfence.agent.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The warm-up's directory: where it goes, and its deletion (WorkersDirectories.deleteTree) by two deleters at once. */
class WarmUpTest {
    @TempDir
    Path work;

    @Test
    void shouldPutASparesWarmUpBesideItsChannelFile() {
        Path channel = work.resolve("spare-1-2.channel");

        assertEquals(work.resolve("spare-1-2.channel.warm-up"), WarmUp.dirOf(channel));
    }

    @Test
    void shouldDeleteATreeThatAnotherThreadDeletesAtTheSameTime() throws Exception {
        for (int round = 0; round < 50; round++) {
            Path dir = Files.createDirectories(work.resolve("round-" + round + ".warm-up"));
            for (int i = 0; i < 200; i++) {
                Files.writeString(dir.resolve("warm-up-" + i + ".jar"), "x");
            }
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<Void> other = CompletableFuture.runAsync(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                WorkersDirectories.deleteTree(dir); // as the spare's exit callback does
            });
            go.countDown();
            WorkersDirectories.deleteTree(dir); // as the host's kill does: throws nothing

            other.join();
            assertFalse(Files.exists(dir), "round " + round);
        }
    }

    @Test
    void shouldLeaveAMissingDirectoryAlone() {
        WorkersDirectories.deleteTree(work.resolve("never-made"));
        WorkersDirectories.deleteTree(null);

        assertTrue(Files.isDirectory(work));
    }
}
