/**
 * The agent: {@code premain}/{@code agentmain}, configuration, the gates it installs in JDK
 * classes, and the command line. Nothing here may throw into the host application.
 */
package dev.ringfence.agent;
