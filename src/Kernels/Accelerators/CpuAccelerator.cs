using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace Mtrl.Kernels;

/// <summary>
/// Runs kernels on the CPU: the index space is cut into contiguous chunks that the calling thread
/// and a fixed set of persistent worker threads claim dynamically. Launches allocate nothing after
/// the workers have started (no closures, no tasks: a launch publishes a function pointer and the
/// address of a stack copy of the kernel), so they can sit on the hot path of a training step.
/// </summary>
/// <remarks>
/// A launch that arrives while the accelerator is already running one (another thread, or a
/// kernel launching from inside a kernel) runs inline on its caller instead of waiting, so nested
/// and concurrent use cannot deadlock. Workers poll for about a millisecond after each launch
/// before they sleep (waking a sleeping thread can take milliseconds on a virtual machine), and a
/// launch never waits for a worker that has not woken up by the time the caller has run out of
/// chunks. Dispose accelerators you create; <see cref="Default"/> lives for the process.
/// </remarks>
public sealed unsafe class CpuAccelerator : Accelerator
{
    /// <summary>
    /// Default smallest chunk for element-wise launches: below roughly this many cheap operations,
    /// waking a worker costs more than it saves.
    /// </summary>
    public const int DefaultMinimumGrain = 2048;

    // More chunks than threads evens out load when a core is shared with other processes.
    private const int ChunksPerThread = 4;

    // How long a worker keeps polling for the next launch, and the caller for the workers, before
    // blocking. Waking a blocked thread costs from tens of microseconds up to several milliseconds
    // on virtual machines, longer than most launches; the launches of a training step follow each
    // other more closely than this, so workers stay awake through a step and sleep between runs.
    private static readonly long s_spinTicks = Stopwatch.Frequency / 1_000; // 1 ms

    private static readonly Lazy<CpuAccelerator> s_default = new(() => new CpuAccelerator());

    private readonly object _startLock = new();
    private readonly SemaphoreSlim _wake = new(0);

    // Completion is polled (spin, yield, then sleep), never waited on: see WaitForWorkers.
    private readonly object _wakeWarmUp = new();
    private Thread[]? _workers;
    private long[] _workerAllocatedBytes = [];
    private int _busy;
    private volatile bool _disposed;

    // The job being run; written by the launching thread before workers are released.
    private delegate*<void*, int, int, void> _body;
    private void* _kernel;
    private int _length;
    private int _chunkCount;
    private int _nextChunk;
    private int _pendingWorkers;
    private ExceptionDispatchInfo? _error;

    /// <summary>Creates an accelerator.</summary>
    /// <param name="degreeOfParallelism">Threads a launch may use, counting the caller; 0 means
    /// <see cref="Environment.ProcessorCount"/>, 1 runs everything inline on the caller.</param>
    /// <param name="minimumGrain">Smallest chunk (in indices) for launches that do not pass their
    /// own grain; ranges no larger than this run inline.</param>
    public CpuAccelerator(int degreeOfParallelism = 0, int minimumGrain = DefaultMinimumGrain)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(degreeOfParallelism);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumGrain, 1);
        DegreeOfParallelism = degreeOfParallelism == 0 ? Environment.ProcessorCount : degreeOfParallelism;
        MinimumGrain = minimumGrain;
    }

    /// <summary>A process-wide accelerator using every core, so libraries share one set of worker threads.</summary>
    public static CpuAccelerator Default => s_default.Value;

    /// <summary>A process-wide accelerator that runs every launch inline, for reproducible single-thread timing and tests.</summary>
    public static CpuAccelerator Sequential { get; } = new(1);

    /// <inheritdoc />
    public override int DegreeOfParallelism { get; }

    /// <summary>Smallest chunk used when a launch does not specify its grain.</summary>
    public int MinimumGrain { get; }

    /// <inheritdoc />
    public override void Launch<TKernel>(int length, in TKernel kernel)
    {
        if (length <= 0)
        {
            return;
        }

        TKernel copy = kernel;
        Run(length, MinimumGrain, &KernelTrampolines.Run1D<TKernel>, Unsafe.AsPointer(ref copy));
    }

    /// <inheritdoc />
    public override void Launch<TKernel>(int rows, int columns, in TKernel kernel)
    {
        if (rows <= 0 || columns <= 0)
        {
            return;
        }

        var grid = new Grid2D<TKernel> { Kernel = kernel, Columns = columns };
        Run(checked(rows * columns), MinimumGrain, &KernelTrampolines.Run2D<TKernel>, Unsafe.AsPointer(ref grid));
    }

    /// <inheritdoc />
    public override void LaunchChunked<TKernel>(int length, int grain, in TKernel kernel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(grain);
        if (length <= 0)
        {
            return;
        }

        TKernel copy = kernel;
        Run(length, grain == 0 ? MinimumGrain : grain, &KernelTrampolines.RunRange<TKernel>, Unsafe.AsPointer(ref copy));
    }

    /// <summary>Bytes allocated so far by the worker threads, as of their last finished launch (for allocation tests).</summary>
    internal long WorkerAllocatedBytes()
    {
        long total = 0;
        foreach (long bytes in _workerAllocatedBytes)
        {
            total += bytes;
        }

        return total;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Thread[]? workers;
        lock (_startLock)
        {
            workers = _workers;
        }

        if (workers is not null)
        {
            _wake.Release(workers.Length);
            foreach (Thread worker in workers)
            {
                worker.Join();
            }
        }

        _wake.Dispose();
    }

    private void Run(int length, int grain, delegate*<void*, int, int, void> body, void* kernel)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int maxChunks = Math.Max(1, length / grain);
        if (DegreeOfParallelism == 1 || maxChunks == 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            body(kernel, 0, length);
            return;
        }

        try
        {
            EnsureWorkers();
            int chunkCount = Math.Min(maxChunks, DegreeOfParallelism * ChunksPerThread);
            int helpers = Math.Min(DegreeOfParallelism - 1, chunkCount - 1);
            _body = body;
            _kernel = kernel;
            _length = length;
            _chunkCount = chunkCount;
            _nextChunk = 0;
            _error = null;
            _pendingWorkers = helpers;
            _wake.Release(helpers);
            RunChunks();

            // Take back wake-ups no worker has claimed yet: those workers are still asleep, and
            // waiting for them would add a full wake-up latency to a launch that is already done.
            int reclaimed = 0;
            while (reclaimed < helpers && _wake.Wait(0))
            {
                reclaimed++;
            }

            if (reclaimed > 0)
            {
                Interlocked.Add(ref _pendingWorkers, -reclaimed);
            }

            WaitForWorkers();
            _kernel = null;
            _error?.Throw();
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Polls for the workers: spins, yields for a while (they usually finish together with the caller), then sleeps between polls.</summary>
    private void WaitForWorkers()
    {
        long deadline = Stopwatch.GetTimestamp() + s_spinTicks;
        for (int spin = 1; Volatile.Read(ref _pendingWorkers) != 0; spin++)
        {
            if (spin % 64 != 0)
            {
                Thread.SpinWait(8);
            }
            else if (Stopwatch.GetTimestamp() < deadline)
            {
                Thread.Yield(); // a worker may be waiting for this very core
            }
            else
            {
                // Workers are descheduled (a loaded machine): sleep-poll rather than block. The
                // first Monitor.Wait on a thread allocates its waiter (hundreds of bytes on .NET
                // 10), and the launching thread is the caller's, so blocking would allocate in
                // the middle of a hot loop the first time the machine is busy.
                Thread.Sleep(1);
            }
        }
    }

    private void RunChunks()
    {
        int chunkCount = _chunkCount;
        long length = _length;
        while (true)
        {
            int chunk = Interlocked.Increment(ref _nextChunk) - 1;
            if (chunk >= chunkCount)
            {
                return;
            }

            int start = (int)(chunk * length / chunkCount);
            int end = (int)((chunk + 1) * length / chunkCount);
            try
            {
                _body(_kernel, start, end);
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(ex), null);
                Interlocked.Exchange(ref _nextChunk, chunkCount);
                return;
            }
        }
    }

    private void EnsureWorkers()
    {
        if (_workers is not null)
        {
            return;
        }

        lock (_startLock)
        {
            if (_workers is not null)
            {
                return;
            }

            int count = DegreeOfParallelism - 1;
            var workers = new Thread[count];
            _workerAllocatedBytes = new long[count];
            for (int w = 0; w < count; w++)
            {
                workers[w] = new Thread(WorkerLoop)
                {
                    IsBackground = true,
                    Name = $"Mtrl CPU worker {w + 1}/{count}",
                };
                workers[w].Start(w);
            }

            _workers = workers;
        }
    }

    private void WorkerLoop(object? state)
    {
        int index = (int)state!;
        // A worker blocks in _wake.Wait (a Monitor.Wait inside); its first one allocates the
        // thread's waiter, so make that first wait here, before any launch is measured.
        lock (_wakeWarmUp)
        {
            Monitor.Wait(_wakeWarmUp, 1);
        }

        while (true)
        {
            if (!PollForLaunch())
            {
                _wake.Wait();
            }

            if (_disposed)
            {
                return;
            }

            RunChunks();
            _workerAllocatedBytes[index] = GC.GetAllocatedBytesForCurrentThread();
            Interlocked.Decrement(ref _pendingWorkers);
        }
    }

    /// <summary>
    /// Polls for a wake-up for a while and claims it without blocking. A claim can lose the race
    /// against the launching thread taking unclaimed wake-ups back, in which case polling simply
    /// continues; only after the polling window does the worker block.
    /// </summary>
    private bool PollForLaunch()
    {
        long deadline = Stopwatch.GetTimestamp() + s_spinTicks;
        for (int spin = 1; !_disposed; spin++)
        {
            if (_wake.CurrentCount != 0 && _wake.Wait(0))
            {
                return true;
            }

            if (spin % 64 != 0)
            {
                Thread.SpinWait(8);
            }
            else if (Stopwatch.GetTimestamp() < deadline)
            {
                Thread.Yield(); // let other runnable threads have the core while polling
            }
            else
            {
                return false;
            }
        }

        return true;
    }
}
