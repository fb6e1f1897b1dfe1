/** The sample service's plugins: the code an attached ringfence instruments. */
package dev.ringfence.samples.service.plugins;
