package dev.ringfence.samples.service.plugins;

import dev.ringfence.samples.service.Plugin;

/**
 * A runaway plugin: loops for ever, and swallows whatever is thrown at it inside the loop, as
 * careless retry code does.
 */
public final class Runaway implements Plugin {
    private long turns;

    @Override
    public String run(String argument) {
        while (true) {
            try {
                step();
            } catch (Throwable t) {
                turns = 0; // and keep going
            }
        }
    }

    private void step() {
        turns++;
    }
}
