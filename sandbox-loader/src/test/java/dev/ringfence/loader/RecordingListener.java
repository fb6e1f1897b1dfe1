package dev.ringfence.loader;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Records version events for assertions. */
final class RecordingListener implements VersionListener {
    final List<String> loaded = new CopyOnWriteArrayList<>();
    final List<String> replaced = new CopyOnWriteArrayList<>();
    final Map<String, Long> unloaded = new ConcurrentHashMap<>();
    final Map<String, String> leaked = new ConcurrentHashMap<>();
    final AtomicInteger unloadedCount = new AtomicInteger();

    @Override
    public void onLoaded(String route, VersionInfo version, VersionInfo previous) {
        loaded.add(version.id());
        replaced.add(previous == null ? "none" : previous.id());
    }

    @Override
    public void onUnloaded(String route, VersionInfo version, long nanosToCollection) {
        unloaded.put(version.id(), nanosToCollection);
        unloadedCount.incrementAndGet();
    }

    @Override
    public void onLeaked(String route, VersionInfo version, long nanosSinceClose, String cause) {
        leaked.put(version.id(), cause);
    }

    int live() {
        return loaded.size() - unloadedCount.get();
    }
}
