/** The command line: {@code invoke}, {@code check}, {@code report}. */
package dev.ringfence.agent.cli;
