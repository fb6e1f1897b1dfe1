/** Configuration: units, agent arguments and properties files. */
package dev.ringfence.agent.config;
