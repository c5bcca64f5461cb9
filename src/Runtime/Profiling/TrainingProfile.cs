using System;
using System.Diagnostics;

namespace Mtrl.Runtime.Profiling;

/// <summary>
/// Wall-clock time spent in each <see cref="TrainingPhase"/> of a training run, accumulated from
/// <see cref="Stopwatch"/> timestamps. A trainer without a profile pays one null check per phase;
/// with one, two timestamp reads. Not thread-safe: one trainer records into it.
/// </summary>
public sealed class TrainingProfile
{
    private static readonly int PhaseCount = Enum.GetValues<TrainingPhase>().Length;

    private readonly long[] _ticks = new long[PhaseCount];
    private readonly long[] _calls = new long[PhaseCount];

    /// <summary>Starts timing <paramref name="phase"/> on <paramref name="profile"/>; disposing the scope adds the elapsed time. Does nothing when <paramref name="profile"/> is null.</summary>
    public static PhaseScope Measure(TrainingProfile? profile, TrainingPhase phase) => new(profile, phase);

    /// <summary>Adds the time since <paramref name="startTimestamp"/> (a <see cref="Stopwatch.GetTimestamp"/> reading) to <paramref name="phase"/>, as one call.</summary>
    public void Add(TrainingPhase phase, long startTimestamp)
    {
        _ticks[(int)phase] += Stopwatch.GetTimestamp() - startTimestamp;
        _calls[(int)phase]++;
    }

    /// <summary>Time spent in <paramref name="phase"/>.</summary>
    public TimeSpan Time(TrainingPhase phase) => Stopwatch.GetElapsedTime(0, _ticks[(int)phase]);

    /// <summary>Times <paramref name="phase"/> was entered.</summary>
    public long Calls(TrainingPhase phase) => _calls[(int)phase];

    /// <summary>Time spent in all phases together.</summary>
    public TimeSpan Total
    {
        get
        {
            long sum = 0;
            foreach (var ticks in _ticks) sum += ticks;
            return Stopwatch.GetElapsedTime(0, sum);
        }
    }

    /// <summary>Forgets every phase's time and calls (e.g. after a warm-up).</summary>
    public void Reset()
    {
        Array.Clear(_ticks);
        Array.Clear(_calls);
    }

    /// <summary>A short lower-case label for tables: "act", "env step", "forward target(s′)", ….</summary>
    public static string Label(TrainingPhase phase) => phase switch
    {
        TrainingPhase.Act => "act",
        TrainingPhase.EnvironmentStep => "env step",
        TrainingPhase.Store => "store",
        TrainingPhase.Sample => "sample",
        TrainingPhase.ForwardNextOnline => "forward online(s′)",
        TrainingPhase.ForwardTarget => "forward target(s′)",
        TrainingPhase.ForwardOnline => "forward online(s)",
        TrainingPhase.Loss => "targets and loss",
        TrainingPhase.Backward => "backward",
        TrainingPhase.ForwardPolicy => "forward policy",
        TrainingPhase.BackwardPolicy => "backward policy",
        TrainingPhase.Optimizer => "optimizer",
        TrainingPhase.TargetUpdate => "target update",
        _ => throw new ArgumentOutOfRangeException(nameof(phase), phase, "not a training phase"),
    };
}
