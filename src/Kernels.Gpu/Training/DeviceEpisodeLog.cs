using System;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Training;

/// <summary>
/// Episode bookkeeping of a device training loop, kept on the device so that stepping never waits
/// for the host: per env the running return (float64 sum of the finite rewards, as the CPU loop
/// keeps it) and length, and a ring of the env's last <see cref="Window"/> finished episodes with
/// the vector step each ended in. <see cref="ReadNew"/> (one synchronising read, at log points)
/// returns the episodes finished since the last read in the CPU loop's order — by vector step,
/// then env — so a host <c>EpisodeStatistics</c> fed with them holds what the CPU loop's would.
/// </summary>
/// <remarks>
/// An env that finishes more than <see cref="Window"/> episodes between two reads loses its oldest
/// ones; <see cref="DeviceEpisodeBatch.Omitted"/> counts them. Each env's ring keeps its last
/// Window episodes, so the last Window episodes over all envs are never among the omitted ones.
/// </remarks>
public sealed class DeviceEpisodeLog : IDisposable
{
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _returns;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _lengths;
    private readonly MemoryBuffer1D<long, Stride1D.Dense> _finished;
    private readonly MemoryBuffer1D<long, Stride1D.Dense> _endSteps;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _endReturns;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _endLengths;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _endTerminated;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _endTasks;
    private readonly DeviceEpisodeLogViews _views;
    private readonly Action<Index1D, DeviceEpisodeLogViews, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, long> _record;
    private readonly long[] _read;

    /// <summary>A log for <paramref name="environments"/> envs keeping each env's last <paramref name="window"/> episodes.</summary>
    /// <param name="device">An open device.</param>
    /// <param name="environments">N, at least 1.</param>
    /// <param name="window">Episodes kept per env between reads, at least 1.</param>
    public DeviceEpisodeLog(GpuDevice device, int environments, int window)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(environments, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        Environments = environments;
        Window = window;
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        long slots = (long)environments * window;
        _returns = accelerator.Allocate1D<double>(environments);
        _lengths = accelerator.Allocate1D<int>(environments);
        _finished = accelerator.Allocate1D<long>(environments);
        _endSteps = accelerator.Allocate1D<long>(slots);
        _endReturns = accelerator.Allocate1D<double>(slots);
        _endLengths = accelerator.Allocate1D<int>(slots);
        _endTerminated = accelerator.Allocate1D<int>(slots);
        _endTasks = accelerator.Allocate1D<int>(slots);
        _returns.MemSetToZero();
        _lengths.MemSetToZero();
        _finished.MemSetToZero();
        _views = new DeviceEpisodeLogViews
        {
            Returns = _returns.View,
            Lengths = _lengths.View,
            Finished = _finished.View,
            EndSteps = _endSteps.View,
            EndReturns = _endReturns.View,
            EndLengths = _endLengths.View,
            EndTerminated = _endTerminated.View,
            EndTasks = _endTasks.View,
            Window = window,
        };
        _record = accelerator.LoadAutoGroupedStreamKernel<Index1D, DeviceEpisodeLogViews, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, long>(Record);
        _read = new long[environments];
    }

    /// <summary>N.</summary>
    public int Environments { get; }

    /// <summary>Finished episodes each env keeps between reads.</summary>
    public int Window { get; }

    /// <summary>Adds vector step <paramref name="vectorStep"/>'s rewards to the running episodes and logs those that ended in it (one thread per env; nothing is read back).</summary>
    /// <param name="rewards">N rewards.</param>
    /// <param name="terminated">N flags (0 / 1).</param>
    /// <param name="truncated">N flags (0 / 1).</param>
    /// <param name="taskIds">N tasks the step was taken in.</param>
    /// <param name="vectorStep">The step's index.</param>
    public void Record(ArrayView<float> rewards, ArrayView<float> terminated, ArrayView<float> truncated, ArrayView<int> taskIds, long vectorStep)
    {
        if (rewards.Length != Environments || terminated.Length != Environments || truncated.Length != Environments || taskIds.Length != Environments)
        {
            throw new ArgumentException(
                $"rewards, terminated, truncated and taskIds have {rewards.Length}, {terminated.Length}, {truncated.Length} and {taskIds.Length} elements; each needs one per environment ({Environments})");
        }

        _record(Environments, _views, rewards, terminated, truncated, taskIds, vectorStep);
    }

    /// <summary>The episodes finished since the last read, by vector step then env (synchronises).</summary>
    public DeviceEpisodeBatch ReadNew()
    {
        long[] finished = _finished.GetAsArray1D();
        long[] steps = _endSteps.GetAsArray1D();
        double[] returns = _endReturns.GetAsArray1D();
        int[] lengths = _endLengths.GetAsArray1D();
        int[] terminated = _endTerminated.GetAsArray1D();
        int[] tasks = _endTasks.GetAsArray1D();
        var records = new List<DeviceEpisodeRecord>();
        var omitted = new List<DeviceEpisodeRecord>();
        for (int env = 0; env < Environments; env++)
        {
            long fresh = finished[env] - _read[env];
            long kept = Math.Min(fresh, Window);
            for (long k = finished[env] - kept; k < finished[env]; k++)
            {
                long slot = ((long)env * Window) + (k % Window);
                records.Add(new DeviceEpisodeRecord(steps[slot], env, tasks[slot], returns[slot], lengths[slot], terminated[slot] != 0));
            }

            if (fresh > kept)
            {
                // Counted against the task of the env's oldest kept episode: device envs keep their task.
                omitted.Add(new DeviceEpisodeRecord(-1, env, records[^(int)kept].Task, 0, (int)Math.Min(fresh - kept, int.MaxValue), false));
            }

            _read[env] = finished[env];
        }

        records.Sort((a, b) => a.VectorStep != b.VectorStep ? a.VectorStep.CompareTo(b.VectorStep) : a.Environment.CompareTo(b.Environment));
        return new DeviceEpisodeBatch(records, omitted);
    }

    /// <summary>Episodes finished so far, per env (synchronises).</summary>
    public long[] ReadFinishedCounts() => _finished.GetAsArray1D();

    /// <inheritdoc />
    public void Dispose()
    {
        _returns.Dispose();
        _lengths.Dispose();
        _finished.Dispose();
        _endSteps.Dispose();
        _endReturns.Dispose();
        _endLengths.Dispose();
        _endTerminated.Dispose();
        _endTasks.Dispose();
    }

    /// <summary>One thread per env: the CPU loop's <c>RecordEpisodes</c> for one env.</summary>
    internal static void Record(
        Index1D env, DeviceEpisodeLogViews log, ArrayView<float> rewards, ArrayView<float> terminated, ArrayView<float> truncated, ArrayView<int> taskIds, long vectorStep)
    {
        float reward = rewards[env];
        double total = log.Returns[env];
        // A non-finite reward (exponent all ones) would make the return NaN; the CPU loop leaves it out too.
        if ((Interop.FloatAsInt(reward) & 0x7F80_0000) != 0x7F80_0000)
        {
            total += reward;
        }

        int length = log.Lengths[env] + 1;
        bool ended = terminated[env] != 0f;
        if (ended || truncated[env] != 0f)
        {
            long count = log.Finished[env];
            long slot = ((long)(int)env * log.Window) + (count % log.Window);
            log.EndSteps[slot] = vectorStep;
            log.EndReturns[slot] = total;
            log.EndLengths[slot] = length;
            log.EndTerminated[slot] = ended ? 1 : 0;
            log.EndTasks[slot] = taskIds[env];
            log.Finished[env] = count + 1;
            total = 0.0;
            length = 0;
        }

        log.Returns[env] = total;
        log.Lengths[env] = length;
    }
}
