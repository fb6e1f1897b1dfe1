/**
 * The {@code serve} runtime's figures as JMX MXBeans in the platform MBean server: one
 * {@link dev.ringfence.agent.jmx.RouteMXBean} per route ({@code dev.ringfence:type=Route,name=<route>})
 * and one {@link dev.ringfence.agent.jmx.ServerMXBean} ({@code dev.ringfence:type=Server}), read
 * live from the same counters as {@code /metrics} and {@code /status}.
 */
package dev.ringfence.agent.jmx;
