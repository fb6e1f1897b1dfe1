package dev.ringfence.samples.service.plugins;

import dev.ringfence.samples.service.Plugin;

/** A well-behaved plugin: greets its argument. */
public final class Greeting implements Plugin {
    @Override
    public String run(String argument) {
        return "hello, " + (argument.isEmpty() ? "world" : argument);
    }
}
