using System;
using Xunit;

namespace Mtrl.Kernels.Tests;

/// <summary>Runs alone so that allocations by other tests cannot blur the measurement.</summary>
[CollectionDefinition(nameof(AllocationSensitive), DisableParallelization = true)]
public sealed class AllocationSensitive
{
}

[Collection(nameof(AllocationSensitive))]
public sealed class AcceleratorAllocationTests
{
    [Fact]
    public void ParallelLaunchesAllocateNothingOnAnyThreadAfterWarmUp()
    {
        using var accelerator = new CpuAccelerator(2, minimumGrain: 64);
        float[] data = new float[100_000];
        AssertSteadyStateAllocatesNothing(accelerator, 500, () =>
        {
            accelerator.Launch(data.Length, new IncrementKernel(data));
            accelerator.LaunchChunked(data.Length, new IncrementRangeKernel(data));
            accelerator.Launch(100, 1000, new IncrementGridKernel(data));
        });
    }

    [Fact]
    public void WorkerAllocationsAreVisibleToTheProbe()
    {
        // Guards the tests around it: the probe must see allocations made on worker threads.
        using var accelerator = new CpuAccelerator(2, minimumGrain: 1);
        accelerator.LaunchChunked(64, 1, new AllocatingKernel());
        long before = accelerator.WorkerAllocatedBytes();
        for (int r = 0; r < 20; r++)
        {
            accelerator.LaunchChunked(64, 1, new AllocatingKernel());
        }

        Assert.True(accelerator.WorkerAllocatedBytes() > before);
    }

    [Fact]
    public void ManagedGemmAllocatesNothingAfterWarmUp()
    {
        using var accelerator = new CpuAccelerator(2);
        const int m = 128, n = 200, k = 300;
        float[] a = TestData.Uniform(m * k, 1), b = TestData.Uniform(k * n, 2), c = new float[m * n];
        AssertSteadyStateAllocatesNothing(accelerator, 50, () =>
            Gemm.Multiply(GemmTranspose.None, GemmTranspose.Transpose, m, n, k, 1f, a, k, b, k, 0.5f, c, n, GemmBackend.Managed, accelerator));
    }

    [Fact]
    public void PhiloxFillsAllocateNothingAfterWarmUp()
    {
        using var accelerator = new CpuAccelerator(2);
        float[] values = new float[50_000];
        int[] indices = new int[50_000];
        ulong counter = 0;
        AssertSteadyStateAllocatesNothing(accelerator, 100, () =>
        {
            PhiloxFill.Uniform(values, 1, 2, counter, accelerator);
            PhiloxFill.Normal(values, 1, 2, counter, accelerator: accelerator);
            PhiloxFill.Index(indices, 1000, 1, 2, counter++, accelerator);
        });
    }

    /// <summary>
    /// Measures caller and worker allocations over windows of <paramref name="iterations"/> calls.
    /// Lazy one-off buffers (a worker's first GEMM task) may land in an early window whenever
    /// scheduling first hands that worker a task, so the check passes once one whole window
    /// allocates nothing; an allocation per call shows up in every window and fails.
    /// </summary>
    private static void AssertSteadyStateAllocatesNothing(CpuAccelerator accelerator, int iterations, Action action)
    {
        long callerBytes = 0, workerBytes = 0;
        for (int window = 0; window < 6; window++)
        {
            long callerBefore = GC.GetAllocatedBytesForCurrentThread();
            long workersBefore = accelerator.WorkerAllocatedBytes();
            for (int r = 0; r < iterations; r++)
            {
                action();
            }

            callerBytes = GC.GetAllocatedBytesForCurrentThread() - callerBefore;
            workerBytes = accelerator.WorkerAllocatedBytes() - workersBefore;
            if (window > 0 && callerBytes == 0 && workerBytes == 0)
            {
                return;
            }
        }

        Assert.Fail($"Every window allocated: last one {callerBytes} bytes on the caller, {workerBytes} bytes on workers.");
    }

    private readonly struct IncrementKernel(float[] data) : IKernel1D
    {
        public void Execute(int i) => data[i] += 1f;
    }

    private readonly ref struct IncrementRangeKernel(Span<float> data) : IRangeKernel
    {
        private readonly Span<float> _data = data;

        public void Execute(int start, int end)
        {
            foreach (ref float value in _data[start..end])
            {
                value += 1f;
            }
        }
    }

    private readonly struct IncrementGridKernel(float[] data) : IKernel2D
    {
        public void Execute(int i, int j) => data[(i * 1000) + j] += 1f;
    }

    private readonly struct AllocatingKernel : IRangeKernel
    {
        public void Execute(int start, int end)
        {
            System.Threading.Thread.SpinWait(10_000);
            GC.KeepAlive(new byte[1000]);
        }
    }
}
