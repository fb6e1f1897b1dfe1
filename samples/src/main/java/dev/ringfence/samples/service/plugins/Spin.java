package dev.ringfence.samples.service.plugins;

import dev.ringfence.samples.service.Plugin;

/** Keeps its thread busy for the milliseconds its argument names (default 100), then answers. */
public final class Spin implements Plugin {
    @Override
    public String run(String argument) {
        long millis = argument.isEmpty() ? 100 : Long.parseLong(argument);
        long until = System.nanoTime() + millis * 1_000_000;
        long turns = 0;
        while (System.nanoTime() - until < 0) {
            turns++;
        }
        return "spun " + millis + " ms (" + turns + " turns)";
    }
}
