using System;
using System.Threading;
using Xunit;

namespace Mtrl.Kernels.Tests;

public sealed class AcceleratorTests
{
    public static TheoryData<int, int> Shapes()
    {
        var data = new TheoryData<int, int>();
        foreach (int dop in new[] { 1, 2, 3, 4 })
        {
            foreach (int length in new[] { 0, 1, 7, 100, 4097, 100_003 })
            {
                data.Add(dop, length);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Launch1DVisitsEveryIndexExactlyOnce(int dop, int length)
    {
        using var accelerator = new CpuAccelerator(dop, minimumGrain: 16);
        var counts = new int[length];
        accelerator.Launch(length, new CountKernel(counts));
        Assert.All(counts, c => Assert.Equal(1, c));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ChunkedLaunchPartitionsTheRange(int dop, int length)
    {
        using var accelerator = new CpuAccelerator(dop);
        var counts = new int[length];
        accelerator.LaunchChunked(length, 3, new RangeCountKernel(counts));
        Assert.All(counts, c => Assert.Equal(1, c));
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 3, 5)]
    [InlineData(2, 257, 129)]
    [InlineData(3, 1000, 7)]
    public void Launch2DVisitsEveryCellExactlyOnce(int dop, int rows, int columns)
    {
        using var accelerator = new CpuAccelerator(dop, minimumGrain: 8);
        var cells = new int[rows * columns];
        accelerator.Launch(rows, columns, new GridKernel(cells, columns));
        for (int f = 0; f < cells.Length; f++)
        {
            Assert.Equal(f + 1, cells[f]);
        }
    }

    [Fact]
    public void RefStructKernelsCanHoldSpans()
    {
        using var accelerator = new CpuAccelerator(2, minimumGrain: 64);
        Span<float> values = new float[10_000];
        accelerator.Launch(values.Length, new SpanKernel(values));
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(2f * i, values[i]);
        }
    }

    [Fact]
    public void SmallLaunchRunsInlineOnTheCaller()
    {
        using var accelerator = new CpuAccelerator(2, minimumGrain: 1000);
        var threads = new int[1000];
        accelerator.Launch(threads.Length, new ThreadIdKernel(threads));
        Assert.All(threads, t => Assert.Equal(Environment.CurrentManagedThreadId, t));
    }

    [Fact]
    public void LargeLaunchUsesTheWorkers()
    {
        using var accelerator = new CpuAccelerator(2, minimumGrain: 1);
        var threads = new int[64];
        bool sawWorker = false;
        for (int attempt = 0; attempt < 50 && !sawWorker; attempt++)
        {
            accelerator.LaunchChunked(threads.Length, 1, new SlowThreadIdKernel(threads));
            sawWorker = Array.Exists(threads, t => t != Environment.CurrentManagedThreadId);
        }

        Assert.True(sawWorker, "No chunk ever ran on a worker thread.");
    }

    [Fact]
    public void KernelExceptionsReachTheCallerAndTheAcceleratorStaysUsable()
    {
        using var accelerator = new CpuAccelerator(2, minimumGrain: 1);
        var error = Assert.Throws<InvalidOperationException>(() => accelerator.Launch(1000, new ThrowingKernel(777)));
        Assert.Contains("777", error.Message, StringComparison.Ordinal);

        var counts = new int[1000];
        accelerator.Launch(counts.Length, new CountKernel(counts));
        Assert.All(counts, c => Assert.Equal(1, c));
    }

    [Fact]
    public void NestedLaunchesRunInline()
    {
        using var accelerator = new CpuAccelerator(2, minimumGrain: 1);
        var counts = new int[64 * 64];
        accelerator.LaunchChunked(64, 1, new NestedKernel(accelerator, counts));
        Assert.All(counts, c => Assert.Equal(1, c));
    }

    [Fact]
    public void ConcurrentLaunchesFromSeveralThreadsAreAllCompleted()
    {
        using var accelerator = new CpuAccelerator(2, minimumGrain: 16);
        var arrays = new int[4][];
        var threads = new Thread[arrays.Length];
        for (int t = 0; t < threads.Length; t++)
        {
            int[] counts = arrays[t] = new int[20_000];
            threads[t] = new Thread(() =>
            {
                for (int r = 0; r < 50; r++)
                {
                    accelerator.Launch(counts.Length, new CountKernel(counts));
                }
            });
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        foreach (int[] counts in arrays)
        {
            Assert.All(counts, c => Assert.Equal(50, c));
        }
    }

    [Fact]
    public void DegreeOfParallelismDefaultsToTheProcessorCount()
    {
        using var accelerator = new CpuAccelerator();
        Assert.Equal(Environment.ProcessorCount, accelerator.DegreeOfParallelism);
        Assert.Equal(1, CpuAccelerator.Sequential.DegreeOfParallelism);
    }

    [Fact]
    public void DisposedAcceleratorRefusesLaunches()
    {
        var accelerator = new CpuAccelerator(2);
        accelerator.Launch(10_000, new CountKernel(new int[10_000]));
        accelerator.Dispose();
        Assert.Throws<ObjectDisposedException>(() => accelerator.Launch(10, new CountKernel(new int[10])));
    }

    private readonly struct CountKernel(int[] counts) : IKernel1D
    {
        public void Execute(int i) => Interlocked.Increment(ref counts[i]);
    }

    private readonly struct RangeCountKernel(int[] counts) : IRangeKernel
    {
        public void Execute(int start, int end)
        {
            Assert.True(end - start >= 1);
            for (int i = start; i < end; i++)
            {
                Interlocked.Increment(ref counts[i]);
            }
        }
    }

    private readonly struct GridKernel(int[] cells, int columns) : IKernel2D
    {
        public void Execute(int i, int j) => Interlocked.Add(ref cells[(i * columns) + j], (i * columns) + j + 1);
    }

    private readonly ref struct SpanKernel(Span<float> values) : IKernel1D
    {
        private readonly Span<float> _values = values;

        public void Execute(int i) => _values[i] = 2f * i;
    }

    private readonly struct ThreadIdKernel(int[] threads) : IKernel1D
    {
        public void Execute(int i) => threads[i] = Environment.CurrentManagedThreadId;
    }

    private readonly struct SlowThreadIdKernel(int[] threads) : IRangeKernel
    {
        public void Execute(int start, int end)
        {
            Thread.SpinWait(20_000);
            for (int i = start; i < end; i++)
            {
                threads[i] = Environment.CurrentManagedThreadId;
            }
        }
    }

    private readonly struct ThrowingKernel(int bad) : IKernel1D
    {
        public void Execute(int i)
        {
            if (i == bad)
            {
                throw new InvalidOperationException($"index {i}");
            }
        }
    }

    private readonly struct NestedKernel(CpuAccelerator accelerator, int[] counts) : IRangeKernel
    {
        public void Execute(int start, int end)
        {
            for (int row = start; row < end; row++)
            {
                accelerator.Launch(64, new OffsetCountKernel(counts, row * 64));
            }
        }
    }

    private readonly struct OffsetCountKernel(int[] counts, int offset) : IKernel1D
    {
        public void Execute(int i) => Interlocked.Increment(ref counts[offset + i]);
    }
}
