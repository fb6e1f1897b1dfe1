package dev.ringfence.samples;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntBinaryOperator;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Exercises the Java features that instrumentation must leave intact: lambdas and method
 * references, sequential streams, string concatenation, a record, a switch on an enum and on
 * strings (including two strings with the same hash code), try-with-resources with its own
 * {@link AutoCloseable} (and a suppressed exception), {@code synchronized} blocks and methods,
 * exceptions used for control flow, and reflection on its own class.
 *
 * <p>Answers {@code OK} with the text of {@link #compute()}: one {@code key=value} line per
 * feature. The result is deterministic, so a test can compare the sandboxed answer with a direct
 * call of {@link #compute()} outside the sandbox. Outcome: {@code OK} under {@code --timeout 2s},
 * {@code --cpu 500ms}, {@code --fuel 1000000} and {@code --alloc 64m}; it does a few thousand
 * ticks of work and allocates well under a megabyte.
 */
public class LegitimateFeatures implements Handler {
    /** Creates the handler. */
    public LegitimateFeatures() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        return Response.ok(compute());
    }

    /**
     * Runs every feature and summarises the results, one {@code key=value} line each.
     *
     * @return the summary; the same text on every call, in or out of the sandbox
     * @throws ReflectiveOperationException never, unless reflection on this class is broken
     */
    public static String compute() throws ReflectiveOperationException {
        Map<String, String> results = new TreeMap<>();
        results.put("lambdas", lambdas());
        results.put("streams", streams());
        results.put("concat", concat(7, 'x', 2.5, true, null));
        results.put("record", records());
        results.put("enumSwitch", enumSwitch());
        results.put("stringSwitch", stringSwitch());
        results.put("tryWithResources", tryWithResources());
        results.put("synchronized", synchronizedCounting());
        results.put("exceptions", exceptionsForControlFlow());
        results.put("reflection", reflection());
        StringBuilder out = new StringBuilder();
        results.forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
        return out.toString();
    }

    // --- lambdas and streams

    private static String lambdas() {
        IntBinaryOperator add = (a, b) -> a + b;
        IntBinaryOperator mul = Math::multiplyExact;
        int base = 10;
        Supplier<String> captured = () -> "base" + base;
        Comparator<String> byLength = Comparator.comparingInt(String::length);
        List<String> words = new ArrayList<>(List.of("ccc", "a", "bb"));
        words.sort(byLength.reversed());
        return add.applyAsInt(2, 3) + "," + mul.applyAsInt(4, 5) + "," + captured.get() + "," + words;
    }

    private static String streams() {
        int sumOfEvenSquares = IntStream.rangeClosed(1, 100).map(i -> i * i).filter(i -> i % 2 == 0).sum();
        String sorted = Stream.of("delta", "alpha", "charlie", "bravo", "echo")
                .sorted(Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder()))
                .collect(Collectors.joining("|"));
        Map<Boolean, Long> parity = IntStream.range(0, 1000).boxed()
                .collect(Collectors.partitioningBy(i -> i % 3 == 0, Collectors.counting()));
        return sumOfEvenSquares + "," + sorted + "," + parity;
    }

    private static String concat(int i, char c, double d, boolean b, Object nothing) {
        return "i" + i + c + d + b + nothing + (i + 1) + 'z';
    }

    // --- a record

    /** A point on a grid. */
    private record Point(int x, int y) {
        Point {
            if (x < 0 || y < 0) {
                throw new IllegalArgumentException("negative coordinate");
            }
        }

        int distanceSquared(Point other) {
            int dx = x - other.x;
            int dy = y - other.y;
            return dx * dx + dy * dy;
        }
    }

    private static String records() {
        Point a = new Point(3, 4);
        Point b = new Point(0, 0);
        boolean rejected;
        try {
            new Point(-1, 0);
            rejected = false;
        } catch (IllegalArgumentException e) {
            rejected = true;
        }
        return a + "," + a.equals(new Point(3, 4)) + "," + (a.hashCode() == new Point(3, 4).hashCode())
                + "," + a.distanceSquared(b) + "," + rejected;
    }

    // --- switches

    /** Shapes, to switch on. */
    private enum Shape {
        TRIANGLE, SQUARE, PENTAGON, CIRCLE
    }

    private static String enumSwitch() {
        StringBuilder sb = new StringBuilder();
        for (Shape s : Shape.values()) {
            int sides;
            switch (s) {
                case TRIANGLE:
                    sides = 3;
                    break;
                case SQUARE:
                    sides = 4;
                    break;
                case PENTAGON:
                    sides = 5;
                    break;
                default:
                    sides = 0;
                    break;
            }
            sb.append(s.name().charAt(0)).append(sides);
        }
        return sb.toString();
    }

    private static String stringSwitch() {
        StringBuilder sb = new StringBuilder();
        // "Aa" and "BB" share a hash code: the switch must fall back to equals
        for (String s : List.of("alpha", "Aa", "BB", "bravo", "zulu")) {
            switch (s) {
                case "alpha":
                    sb.append('a');
                    break;
                case "Aa":
                    sb.append('1');
                    break;
                case "BB":
                    sb.append('2');
                    break;
                case "bravo":
                    sb.append('b');
                    break;
                default:
                    sb.append('?');
                    break;
            }
        }
        return sb.toString();
    }

    // --- try-with-resources

    /** A resource that records when it is opened and closed, and can fail on close. */
    private static final class Tracked implements AutoCloseable {
        private final String name;
        private final List<String> log;
        private final boolean failOnClose;

        Tracked(String name, List<String> log, boolean failOnClose) {
            this.name = name;
            this.log = log;
            this.failOnClose = failOnClose;
            log.add("open " + name);
        }

        @Override
        public void close() {
            log.add("close " + name);
            if (failOnClose) {
                throw new IllegalStateException("close " + name + " failed");
            }
        }
    }

    private static String tryWithResources() {
        List<String> log = new ArrayList<>();
        try (Tracked a = new Tracked("a", log, false); Tracked b = new Tracked("b", log, false)) {
            log.add("use " + a.name + b.name);
        }
        String suppressed = "none";
        try (Tracked c = new Tracked("c", log, true)) {
            throw new IllegalArgumentException("body of " + c.name + " failed");
        } catch (IllegalArgumentException e) {
            suppressed = e.getMessage() + "+" + e.getSuppressed().length + ":" + e.getSuppressed()[0].getMessage();
        }
        return String.join(";", log) + "," + suppressed;
    }

    // --- synchronized

    /** A counter guarded by its own monitor. */
    private static final class Counter {
        private int value;

        synchronized void add(int n) {
            value += n;
        }

        synchronized int value() {
            return value;
        }
    }

    private static String synchronizedCounting() {
        Counter counter = new Counter();
        Object lock = new Object();
        int blockSum = 0;
        for (int i = 1; i <= 100; i++) {
            counter.add(i);
            synchronized (lock) {
                blockSum += i * 2;
            }
        }
        boolean unlockedOnThrow;
        try {
            synchronized (lock) {
                throw new IllegalStateException("inside a monitor");
            }
        } catch (IllegalStateException e) {
            unlockedOnThrow = !Thread.holdsLock(lock);
        }
        return counter.value() + "," + blockSum + "," + unlockedOnThrow;
    }

    // --- exceptions as control flow

    /** Carries a search result out of a deep recursion. Without a stack trace: it is not an error. */
    private static final class Found extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int depth;

        Found(int depth) {
            super("found", null, false, false);
            this.depth = depth;
        }
    }

    private static void search(int n, int depth) {
        if (n == 1) {
            throw new Found(depth);
        }
        search(n % 2 == 0 ? n / 2 : 3 * n + 1, depth + 1);
    }

    private static String exceptionsForControlFlow() {
        int numbers = 0;
        int rejected = 0;
        for (String s : List.of("12", "x", "-4", "", "7.5", "2147483648", "99")) {
            try {
                numbers += Integer.parseInt(s);
            } catch (NumberFormatException e) {
                rejected++;
            }
        }
        int steps;
        try {
            search(27, 0);
            steps = -1;
        } catch (Found f) {
            steps = f.depth;
        }
        int finallyRuns = 0;
        for (int i = 0; i < 3; i++) {
            try {
                if (i == 1) {
                    continue;
                }
            } finally {
                finallyRuns++;
            }
        }
        return numbers + "," + rejected + "," + steps + "," + finallyRuns;
    }

    // --- reflection on this class

    private static int square(int n) {
        return n * n;
    }

    private static String reflection() throws ReflectiveOperationException {
        Class<?> self = LegitimateFeatures.class;
        Method m = self.getDeclaredMethod("square", int.class);
        Object squared = m.invoke(null, 12);
        List<String> components = new ArrayList<>();
        for (RecordComponent rc : Point.class.getRecordComponents()) {
            components.add(rc.getName() + ":" + rc.getType().getName());
        }
        Object y = Point.class.getDeclaredMethod("y").invoke(new Point(5, 6));
        Object[] shapes = Shape.class.getEnumConstants();
        boolean isHandler = Handler.class.isAssignableFrom(self);
        Object made = self.getConstructor().newInstance();
        return self.getSimpleName() + "," + squared + "," + components + "," + y + "," + shapes.length + ","
                + isHandler + "," + (made instanceof LegitimateFeatures) + "," + Point.class.isRecord();
    }
}
