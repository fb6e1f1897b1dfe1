package dev.ringfence.samples.service;

/** The extension point of the sample service: a named plugin answers one request. */
public interface Plugin {
    /**
     * Runs the plugin.
     *
     * @param argument the request's query string, or an empty string
     * @return the response body
     */
    String run(String argument);
}
