package dev.ringfence.loader;

import java.nio.file.Path;
import java.util.List;

/**
 * What is known of a handler version, detached from it: holding one keeps no class loader alive.
 *
 * @param id the content hash of the classpath, 64 hex digits
 * @param shortId the first 12 hex digits of the id
 * @param classpath the classpath, absolute and normalised
 * @param classCount how many classes the version may define
 * @param loadNanos how long loading took (reading, hashing and, in eager mode, instrumenting)
 */
public record VersionInfo(String id, String shortId, List<Path> classpath, int classCount, long loadNanos) {
}
