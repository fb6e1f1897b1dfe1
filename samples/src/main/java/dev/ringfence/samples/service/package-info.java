/**
 * A sample "existing service" with a plugin extension point, for attaching ringfence to a running
 * JVM: see {@link dev.ringfence.samples.service.PluginService}.
 */
package dev.ringfence.samples.service;
