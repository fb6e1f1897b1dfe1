package dev.ringfence.agent.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Killed servers' workers directories are swept; live servers' are not. */
class WorkersDirectoriesTest {
    @TempDir
    Path tmp;

    private Path server(String name, boolean withOwnerFile) throws Exception {
        Path d = Files.createDirectories(tmp.resolve(WorkersDirectories.PREFIX + name).resolve("route"));
        Files.writeString(d.resolve("worker-1.channel"), "x");
        Path dir = d.getParent();
        if (withOwnerFile) {
            Files.createFile(dir.resolve(WorkersDirectories.OWNER));
        }
        return dir;
    }

    @Test
    void shouldSweepTheDirectoryOfAServerWhoseLockIsFreeAndKeepOneWhoseLockIsHeld() throws Exception {
        Path own = server("1", false);
        Path dead = server("2", true);
        Path alive = server("3", true);
        try (FileChannel ch = FileChannel.open(alive.resolve(WorkersDirectories.OWNER), StandardOpenOption.WRITE);
                FileLock held = ch.lock()) {
            assertEquals(1, WorkersDirectories.sweep(own));
        }
        assertFalse(Files.exists(dead), "its server is gone: nothing holds its lock");
        assertTrue(Files.exists(alive.resolve("route").resolve("worker-1.channel")), "its server holds the lock");
        assertTrue(Files.exists(own));
    }

    @Test
    void shouldSweepAnOldLayoutDirectoryOnlyWhenNoProcessHasItsNumberAndItIsOld() throws Exception {
        Path own = server("1", false);
        Path fresh = server("999999999", false);
        Path old = server("999999998", false);
        FileTime twoHoursAgo = FileTime.from(Instant.now().minus(Duration.ofHours(2)));
        for (Path p : new Path[] {old.resolve("route").resolve("worker-1.channel"), old.resolve("route"), old}) {
            Files.setLastModifiedTime(p, twoHoursAgo);
        }
        Path live = server(Long.toString(ProcessHandle.current().pid()), false);
        for (Path p : new Path[] {live.resolve("route").resolve("worker-1.channel"), live.resolve("route"), live}) {
            Files.setLastModifiedTime(p, twoHoursAgo);
        }

        assertEquals(1, WorkersDirectories.sweep(own));

        assertFalse(Files.exists(old));
        assertTrue(Files.exists(fresh), "changed within the hour: perhaps a server of another PID namespace");
        assertTrue(Files.exists(live), "a process has its number");
    }

    @Test
    void shouldHoldItsOwnDirectoryUntilReleased() throws Exception {
        Path own = tmp.resolve(WorkersDirectories.PREFIX + "own");
        assertTrue(WorkersDirectories.claim(own));
        Path other = server("4", false);
        try {
            Path owner = own.resolve(WorkersDirectories.OWNER);
            assertTrue(Files.exists(owner));
            assertEquals(0, WorkersDirectories.sweep(other), "this JVM's own directory is alive");
            assertTrue(Files.exists(owner));
        } finally {
            WorkersDirectories.release(own);
        }
        assertFalse(Files.exists(own.resolve(WorkersDirectories.OWNER)), "released: the directory can go once empty");
    }
}
