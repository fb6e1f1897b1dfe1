package dev.ringfence.samples.service;

/**
 * Where the sample service calls its plugins: the one method an attached ringfence puts a
 * budget on ({@code budget.plugins.methods=dev.ringfence.samples.service.Plugins#run}).
 */
public final class Plugins {
    private Plugins() {
    }

    /**
     * Calls a plugin.
     *
     * @param plugin the plugin
     * @param argument its argument
     * @return what it answers
     */
    public static String run(Plugin plugin, String argument) {
        return plugin.run(argument);
    }
}
