package dev.ringfence.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bench.kernels.MixedAllocation;
import dev.ringfence.limiter.Meter;
import dev.ringfence.limiter.Policy;
import dev.ringfence.limiter.SandboxThread;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;

class KernelLoaderTest {
    private static final String[] KERNELS = {"loops", "matrix", "maps", "recursion", "objects"};

    @Test
    void shouldChargeTheMeterFromEveryInstrumentedKernel() throws Exception {
        for (String k : KERNELS) {
            LongSupplier work = KernelLoader.instrumented().create(OverheadBenchmark.kernelClass(k));
            long fuel = onMeteredThread(meter -> {
                work.getAsLong();
                return meter.fuelUsed();
            });
            assertTrue(fuel > 0, k + " charged no ticks");
        }
    }

    @Test
    void shouldNotChargeTheMeterFromAPlainKernel() throws Exception {
        LongSupplier work = KernelLoader.plain().create(OverheadBenchmark.kernelClass("loops"));
        assertEquals(0, onMeteredThread(meter -> {
            work.getAsLong();
            return meter.fuelUsed();
        }));
    }

    @Test
    void shouldComputeTheSameResultPlainAndInstrumented() throws Exception {
        for (String k : KERNELS) {
            long plain = KernelLoader.plain().create(OverheadBenchmark.kernelClass(k)).getAsLong();
            LongSupplier instrumented = KernelLoader.instrumented().create(OverheadBenchmark.kernelClass(k));
            assertEquals(plain, onMeteredThread(meter -> instrumented.getAsLong()), k);
        }
    }

    @Test
    void shouldComputeTheSameResultPlainAndGuarded() throws Exception {
        for (String k : KERNELS) {
            long plain = KernelLoader.plain().create(OverheadBenchmark.kernelClass(k)).getAsLong();
            LongSupplier guarded = KernelLoader.forMode("guarded").create(OverheadBenchmark.kernelClass(k));
            assertEquals(plain, onMeteredThread(meter -> guarded.getAsLong()), k);
        }
    }

    @Test
    void shouldStopEveryGuardedKernelOnceItsMeterTrips() throws Exception {
        for (String k : KERNELS) {
            LongSupplier guarded = KernelLoader.forMode("guarded").create(OverheadBenchmark.kernelClass(k));
            long stoppedAfter = onMeteredThread(meter -> {
                for (int i = 0; i < 1_000; i++) {
                    guarded.getAsLong();
                }
                meter.trip(dev.ringfence.api.Outcome.TIMEOUT, "test");
                try {
                    guarded.getAsLong();
                    return -1;
                } catch (dev.ringfence.limiter.BudgetAbort expected) {
                    return 1;
                }
            });
            assertEquals(1, stoppedAfter, k + " ran a whole time after its meter tripped");
        }
    }

    @Test
    void shouldDefineKernelsInItsOwnLoaderAndTheRestInTheParent() {
        KernelLoader loader = KernelLoader.instrumented();
        LongSupplier work = loader.create(MixedAllocation.class);
        assertSame(loader, work.getClass().getClassLoader());
        assertNotSame(MixedAllocation.class, work.getClass());
        assertSame(LongSupplier.class, work.getClass().getInterfaces()[0]);
    }

    private static long onMeteredThread(ToLongFunction<Meter> task) throws Exception {
        AtomicReference<Object> out = new AtomicReference<>();
        SandboxThread t = new SandboxThread(null, () -> {
            try {
                Meter meter = Meter.attachToCurrentThread(NeverTrip.cpuAllocWall(), Policy.DENY_ALL);
                try {
                    out.set(task.applyAsLong(meter));
                } finally {
                    meter.detach();
                }
            } catch (Throwable e) {
                out.set(e);
            }
        }, "kernel-loader-test", 0);
        t.start();
        t.join();
        if (out.get() instanceof Throwable) {
            throw new AssertionError("metered task failed", (Throwable) out.get());
        }
        return (Long) out.get();
    }
}
